using Dendrite.Examples.LinearNeuron;

namespace Dendrite.Tests.Examples;

public class LinearNeuronExampleTests
{
    [Theory]
    [InlineData(0.4f, 0.0196, 0.019)]     // (0.3 − 0.16)² = 0.14²
    [InlineData(0.9f, 0.004225, 0.004)]   // (0.3 − 0.235)² = 0.065²
    public void Lecture_losses_are_exact(float a, double exact, double lecture)
    {
        float loss = LinearNeuronExample.Loss(a);

        Assert.Equal(exact, loss, 6);
        Assert.Equal(lecture, LinearNeuronExample.LectureRounding(loss));
    }

    [Fact]
    public void First_step_follows_the_hand_gradient()
    {
        var first = LinearNeuronExample.Descend(a0: 0.4f, lr: 10f, steps: 1)[0];

        // dL/da = −2·x·(y − (a·x + b)) = −2 · 0.15 · 0.14 = −0.042; a moves to 0.4 + 10 · 0.042 = 0.82.
        Assert.Equal(0.0196f, first.Loss, 6);
        Assert.Equal(-0.042f, first.Gradient, 6);
        Assert.Equal(0.82f, first.NextA, 5);
    }

    [Fact]
    public void Descent_shrinks_the_error_in_a_by_the_factor_one_minus_lr_times_curvature()
    {
        var trace = LinearNeuronExample.Descend(steps: 10);

        // d²L/da² = 2x² = 0.045: each step multiplies a* − a by 1 − 10 · 0.045 = 0.55.
        for (int i = 0; i < trace.Count; i++)
            Assert.Equal(0.55, (LinearNeuronExample.BestA - trace[i].NextA) / (LinearNeuronExample.BestA - trace[i].A), 3);
        Assert.True(LinearNeuronExample.Loss(trace[^1].NextA) < 1e-6f);
    }
}
