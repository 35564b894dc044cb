"""Networks: StarGAN, the CycleGAN baseline and the judging domain
classifier."""
