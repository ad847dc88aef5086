"""Track D: small nonlinear encoders (flax MLP and patch ViT) trained MAE-, SimSiam- and
MAR-style in vmapped FL and DecL on real images, with the paper's experiments as stages."""
