"""One module per dataset: its published files and checksums beside the parser that reads them.

  base.py      what every dataset shares: RawDataset, the Fetcher that finds or downloads a file, the
               identity check of a local copy, the content checksum
  registry.py  data.name -> dataset; `load_source` (an unknown name lists the valid ones)
  digits.py, mnist.py (MNIST and Fashion-MNIST: one IDX format), cifar10.py, gtsrb.py, fer2013.py,
  mnist_sample.py, folder.py (your own images, read by data/folder.py)
"""
