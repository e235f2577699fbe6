namespace Dendrite.Backends.Reference;

/// <remarks>
/// Each rule is its torch.optim documentation's pseudocode, one parameter element at a time, in float32 as PyTorch's.
/// </remarks>
public sealed partial class ReferenceBackend
{
    public override void SgdUpdate(Storage p, Storage grad, Storage? momentumBuffer, float lr, float weightDecay,
        float momentum, float dampening, bool nesterov, bool firstMomentumStep)
    {
        var theta = Values(p);
        var gradient = Values(grad);
        for (int i = 0; i < theta.Length; i++)
        {
            float g = gradient[i] + weightDecay * theta[i];
            if (momentumBuffer is not null)
            {
                var buf = Values(momentumBuffer);
                buf[i] = firstMomentumStep ? g : momentum * buf[i] + (1 - dampening) * g;
                g = nesterov ? g + momentum * buf[i] : buf[i];
            }
            theta[i] -= lr * g;
        }
    }

    public override void AdamUpdate(Storage p, Storage grad, Storage m, Storage v, Storage? vMax, float lr,
        float weightDecay, bool decoupled, float beta1, float beta2, float eps, int step)
    {
        var theta = Values(p);
        var gradient = Values(grad);
        var first = Values(m);
        var second = Values(v);
        float biasCorrection1 = 1 - MathF.Pow(beta1, step);
        float biasCorrection2 = 1 - MathF.Pow(beta2, step);
        for (int i = 0; i < theta.Length; i++)
        {
            float g = gradient[i];
            if (decoupled) theta[i] *= 1 - lr * weightDecay;
            else g += weightDecay * theta[i];
            first[i] = beta1 * first[i] + (1 - beta1) * g;
            second[i] = beta2 * second[i] + (1 - beta2) * g * g;
            float vHat = second[i];
            if (vMax is not null)
            {
                var max = Values(vMax);
                max[i] = MathF.Max(max[i], second[i]);
                vHat = max[i];
            }
            float denominator = MathF.Sqrt(vHat) / MathF.Sqrt(biasCorrection2) + eps;
            theta[i] -= lr / biasCorrection1 * first[i] / denominator;
        }
    }

    public override void RmsPropUpdate(Storage p, Storage grad, Storage squareAverage, Storage? momentumBuffer,
        Storage? gradAverage, float lr, float weightDecay, float alpha, float eps, float momentum)
    {
        var theta = Values(p);
        var gradient = Values(grad);
        var square = Values(squareAverage);
        for (int i = 0; i < theta.Length; i++)
        {
            float g = gradient[i] + weightDecay * theta[i];
            square[i] = alpha * square[i] + (1 - alpha) * g * g;
            float variance = square[i];
            if (gradAverage is not null)
            {
                var average = Values(gradAverage);
                average[i] = alpha * average[i] + (1 - alpha) * g;
                variance -= average[i] * average[i];
            }
            float denominator = MathF.Sqrt(variance) + eps;
            if (momentum > 0)
            {
                var buf = Values(momentumBuffer!);
                buf[i] = momentum * buf[i] + g / denominator;
                theta[i] -= lr * buf[i];
            }
            else
            {
                theta[i] -= lr * g / denominator;
            }
        }
    }

    public override void AdagradUpdate(Storage p, Storage grad, Storage sum, float lr, float weightDecay,
        float lrDecay, float eps, int step)
    {
        var theta = Values(p);
        var gradient = Values(grad);
        var squares = Values(sum);
        float decayedLr = lr / (1 + (step - 1) * lrDecay);
        for (int i = 0; i < theta.Length; i++)
        {
            float g = gradient[i] + weightDecay * theta[i];
            squares[i] += g * g;
            theta[i] -= decayedLr * g / (MathF.Sqrt(squares[i]) + eps);
        }
    }

    public override void AdadeltaUpdate(Storage p, Storage grad, Storage squareAverage, Storage accumulatedDelta,
        float lr, float weightDecay, float rho, float eps)
    {
        var theta = Values(p);
        var gradient = Values(grad);
        var square = Values(squareAverage);
        var deltas = Values(accumulatedDelta);
        for (int i = 0; i < theta.Length; i++)
        {
            float g = gradient[i] + weightDecay * theta[i];
            square[i] = rho * square[i] + (1 - rho) * g * g;
            float delta = MathF.Sqrt(deltas[i] + eps) / MathF.Sqrt(square[i] + eps) * g;
            deltas[i] = rho * deltas[i] + (1 - rho) * delta * delta;
            theta[i] -= lr * delta;
        }
    }

    public override void MovingAverageUpdate(Storage average, Storage value, float decay)
    {
        var mean = Values(average);
        var now = Values(value);
        for (int i = 0; i < mean.Length; i++) mean[i] = decay * mean[i] + (1 - decay) * now[i];
    }
}
