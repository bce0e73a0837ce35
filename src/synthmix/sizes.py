"""Image-size arithmetic shared by the models and params validation (no torch import)."""


def factor_size(size: int) -> tuple[int, int]:
    """(base, k) with size == base * 2**k, halving while the result stays >= 3.

    16 -> (4, 2), 28 -> (7, 2), 32 -> (4, 3), 48 -> (3, 4), 64 -> (4, 4).
    """
    base, k = size, 0
    while base % 2 == 0 and base // 2 >= 3:
        base //= 2
        k += 1
    if k == 0:
        raise ValueError(f"image size {size} cannot be halved even once to a side >= 3; use e.g. 16, 28, 32, 48, 64")
    return base, k
