"""VGG19's layer table for the scripts in this folder, written once: the 16
convolutions by the paper's names, their channels, where a 2x2 pool comes
before one, and their indices in torchvision's `vgg19().features`. Standard
library only. (The engine's own table is `src/vgg/layers.rs`.)"""

BLOCKS = [2, 2, 4, 4, 4]
# conv1_1 ... conv5_4.
CONVS = ["conv%d_%d" % (b, c) for b, n in enumerate(BLOCKS, start=1) for c in range(1, n + 1)]
# Output channels of each convolution.
WIDTHS = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512]
# A 2x2 pool comes before the first convolution of blocks 2 to 5.
POOL_BEFORE = {"conv2_1", "conv3_1", "conv4_1", "conv5_1"}
# Indices of the 16 convolutions in torchvision's vgg19().features.
TORCHVISION_INDICES = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]


def conv_of(tap):
    """`relu4_2` -> `conv4_2`."""
    return "conv" + tap[len("relu"):]


def upto(taps):
    """The convolutions up to the deepest of `taps` (names like `relu4_2`)."""
    deepest = max(CONVS.index(conv_of(t)) for t in taps)
    return CONVS[:deepest + 1]
