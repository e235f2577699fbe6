using Dendrite.NN;

namespace Dendrite.Generative;

/// <summary>
/// A discriminator that is told which class each image should be: logit = Head(φ(x)) + ⟨E[y], φ(x)⟩, the projection
/// discriminator of Miyato and Koyama (2018). φ is a convolutional feature extractor, Head a linear "is it real?" score,
/// and E one learned vector per class, so the second term asks "does this look like class y?" in φ's own feature space.
/// </summary>
/// <remarks>
/// Telling D the class is what makes a GAN conditional (Mirza and Osindero, 2014): the generator, given the same class,
/// is pushed to make that class. The projection costs one dot product per image, where feeding the label in as ten
/// extra image channels would make the first convolution eleven times wider.
/// </remarks>
public sealed class ProjectionDiscriminator : Module
{
    /// <summary>Wraps <paramref name="features"/> (images → [N, F]) with a linear score and a class embedding of F each.</summary>
    public ProjectionDiscriminator(Module features, int featureSize, int classes)
    {
        if (featureSize < 1) throw new ArgumentOutOfRangeException(nameof(featureSize), $"ProjectionDiscriminator: featureSize must be >= 1, got {featureSize}.");
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), $"ProjectionDiscriminator: classes must be >= 2, got {classes}.");
        Classes = classes;
        Features = AddModule("features", features);
        Head = AddModule("head", new Linear(featureSize, 1));
        ClassEmbedding = AddModule("class_embedding", new Embedding(classes, featureSize));
    }

    /// <summary>How many classes the labels name.</summary>
    public int Classes { get; }

    /// <summary>φ: images → features [N, F].</summary>
    public Module Features { get; }

    /// <summary>The class-blind score: features [N, F] → [N, 1].</summary>
    public Linear Head { get; }

    /// <summary>E: one F-vector per class.</summary>
    public Embedding ClassEmbedding { get; }

    /// <summary>One logit per image [N, 1] (positive: "a real digit of class y") for images and their class labels [N].</summary>
    public Tensor Forward(Tensor images, Tensor labels)
    {
        if (labels.Rank != 1 || labels.Shape[0] != images.Shape[0])
            throw new ShapeMismatchException($"ProjectionDiscriminator: expected labels [{images.Shape[0]}] for images {images.Shape}, got {labels.Shape}.");
        var features = Features.Call(images);
        return Head.Call(features) + F.Sum(features * ClassEmbedding.Call(labels), 1, keepDim: true);
    }

    /// <summary>Always throws: the score needs the labels too (<see cref="Forward(Tensor, Tensor)"/>).</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("ProjectionDiscriminator scores an image against a class: call Forward(images, labels).");
}
