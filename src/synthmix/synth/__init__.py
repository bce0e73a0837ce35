"""Generation of synthetic images and judge-confidence filtering."""
