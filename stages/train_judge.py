"""Stage train_judge: a CNN trained on the real training images (judge.steps; the checkpoint with the
best validation accuracy is kept), then calibrated by temperature scaling on the real validation split. Its ECE
before and after calibration is reported on the validation split (where the temperature is fitted)
and on the test split (a held-out check; nothing is chosen on it)."""
import argparse
from pathlib import Path

from synthmix.core import runtime
from synthmix.core.stage import open_run_log, run
from synthmix.classifier.train import fit
from synthmix.data.store import read_prepared
from synthmix.judge import calibrate
from synthmix.models.cnn import save_cnn
from synthmix.params import load_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="prepared data directory")
    ap.add_argument("--model", type=Path, required=True, help="judge checkpoint to write")
    ap.add_argument("--metrics", type=Path, required=True, help="run-log directory (curves in dvclive's layout)")
    args = ap.parse_args()
    params = load_params()
    rt = runtime.start(params.runtime)
    data = read_prepared(args.data)
    images, labels = data.train_arrays()
    curves = open_run_log(args.metrics)
    steps = params.judge.budget(len(images), images.shape[1])
    model, cfg, info = fit((images, labels), (data.val_images, data.val_labels), len(data.class_names),
                           params.judge, steps, runtime.seed_for(params.judge.seed, "judge"), rt.with_log(curves.log))
    calib = calibrate(model, (data.val_images, data.val_labels), (data.test_images, data.test_labels), rt.device)
    temperature = calib["temperature"]
    curves.summary.update({k: v for k, v in info.items() if k != "val_curve"} | {"temperature": temperature} | {
        f"{split}_{k}": v for split in ("val", "test") for k, v in calib[split].items() if k.startswith("ece")})
    curves.end()
    save_cnn(args.model, model, cfg, step=info["best_step"], classes=data.class_names, temperature=temperature,
             calibration=calib)
    v, t = calib["val"], calib["test"]
    print(f"train_judge: best val accuracy {info['best_val_acc']:.3f} at step {info['best_step']} of {info['steps']}; temperature "
          f"{temperature:.3f}: ECE val {v['ece_before']:.3f} -> {v['ece_after']:.3f}, "
          f"test {t['ece_before']:.3f} -> {t['ece_after']:.3f}")


if __name__ == "__main__":
    run(main)
