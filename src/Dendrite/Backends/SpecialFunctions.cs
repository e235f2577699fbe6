namespace Dendrite.Backends;

/// <summary>Functions .NET's Math lacks.</summary>
internal static class SpecialFunctions
{
    /// <summary>
    /// The error function in double precision: its Maclaurin series below |x| = 2.5 (cancellation there costs under
    /// 4 of double's 16 digits), and above it erfc's continued fraction e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
    /// which converges quickly for large x and keeps erfc's tiny values exact in relative terms.
    /// </summary>
    public static double Erf(double x)
    {
        double z = Math.Abs(x);
        double result = z < 2.5 ? Series(z) : 1.0 - ErfcContinuedFraction(z);
        return x < 0 ? -result : result;
    }

    private static double Series(double z)
    {
        // erf z = 2/√π Σ (−1)ⁿ z^(2n+1) / (n! (2n+1))
        double term = z, sum = z, z2 = z * z;
        for (int n = 1; n < 200; n++)
        {
            term *= -z2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
        }
        return sum * 2.0 / Math.Sqrt(Math.PI);
    }

    private static double ErfcContinuedFraction(double z)
    {
        // Evaluated bottom-up from a fixed depth; 60 levels are ample for z >= 2.5.
        double f = z;
        for (int k = 60; k >= 1; k--) f = z + k / 2.0 / f;
        return Math.Exp(-z * z) / Math.Sqrt(Math.PI) / f;
    }
}
