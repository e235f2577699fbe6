namespace Dendrite.Data;

/// <summary>
/// A dataset that knows each sample's class without loading it (an image folder knows it from the sub-folder), so
/// stratified splits and samplers need not read every input.
/// </summary>
public interface ILabeledDataset : IDataset
{
    /// <summary>The class index of sample <paramref name="index"/>.</summary>
    int LabelOf(int index);

    /// <summary>The class names: index k is ClassNames[k].</summary>
    IReadOnlyList<string> ClassNames { get; }
}
