namespace Dendrite.IO;

/// <summary>How <see cref="Png"/> maps tensor values to 8-bit pixel intensities.</summary>
public enum PixelScale
{
    /// <summary>Values in [0, 1] map to 0…255 (v·255, rounded); values outside are clamped. Use for images in [0, 1].</summary>
    Unit,

    /// <summary>
    /// The smallest value maps to 0 and the largest to 255, linearly (all pixels 0 when every value is equal); for
    /// feature maps and weights whose range is arbitrary. In a grid the range is the whole batch's, so tiles compare.
    /// </summary>
    MinMax,
}
