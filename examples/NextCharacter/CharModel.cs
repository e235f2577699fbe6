using Dendrite.Data;
using Dendrite.NN;

namespace Dendrite.Examples.NextCharacter;

/// <summary>
/// A character-level language model: Embedding(V, 32) → GRU(32, H) → Dropout → Linear(H, V). For a window of characters
/// [N, T] (indices) it returns, at every position, logits [N, T, V] for the character that comes next.
/// </summary>
public sealed class CharModel : Module
{
    public CharModel(Alphabet vocabulary, int hidden = 128, int embedding = 32, float dropout = 0.2f)
    {
        Dropout = dropout;
        Vocabulary = vocabulary;
        Embed = AddModule("embed", new Embedding(vocabulary.Size, embedding));
        Gru = AddModule("gru", new GRU(embedding, hidden, batchFirst: true));
        Head = AddModule("head", new Linear(hidden, vocabulary.Size));
    }

    /// <summary>Dropout on the GRU's outputs in training: a small corpus is otherwise learnt by heart.</summary>
    public float Dropout { get; }

    /// <summary>The characters the model knows; index k is the k-th symbol.</summary>
    public Alphabet Vocabulary { get; }
    public Embedding Embed { get; }
    public GRU Gru { get; }
    public Linear Head { get; }

    public override Tensor Forward(Tensor input) => Step(input, null).Logits;

    /// <summary>Logits [N, T, V] and the GRU's final state [1, N, H], from an optional state h (to continue a text).</summary>
    public (Tensor Logits, Tensor H) Step(Tensor input, Tensor? h)
    {
        var r = Gru.Forward(Embed.Forward(input), h);
        return (Head.Forward(F.Dropout(r.Output, Dropout, Training)), r.H);
    }
}
