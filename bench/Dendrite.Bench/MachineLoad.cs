using System.Diagnostics;
using System.Globalization;

namespace Dendrite.Bench;

/// <summary>
/// How much of the machine other processes used while a phase of the run measured: CPU time the whole system spent
/// busy (/proc/stat, steal included) minus this process's and its reaped children's (/proc/self/stat), over wall time ×
/// cores. On a shared 2-core VM this is the figure that says whether a run's medians can be trusted.
/// </summary>
internal readonly record struct MachineLoad(long Timestamp, double BusySeconds, double OwnSeconds)
{
    private const double ClockTicksPerSecond = 100; // USER_HZ, 100 on every Linux x86-64 and arm64 kernel

    public static MachineLoad Now() => new(Stopwatch.GetTimestamp(), SystemBusySeconds(), OwnSeconds_());

    /// <summary>Fraction of all cores' time, between <paramref name="start"/> and now, used by other processes (NaN off Linux).</summary>
    public double OthersShareSince(MachineLoad start)
    {
        double wall = Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds;
        double others = (BusySeconds - start.BusySeconds) - (OwnSeconds - start.OwnSeconds);
        return wall <= 0 ? double.NaN : Math.Clamp(others / (wall * Environment.ProcessorCount), 0, 1);
    }

    private static double SystemBusySeconds()
    {
        try
        {
            // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
            var line = File.ReadLines("/proc/stat").First();
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / ClockTicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }

    private static double OwnSeconds_()
    {
        try
        {
            // Fields after "(comm) ": state is field 3; utime, stime, cutime, cstime are fields 14-17.
            var text = File.ReadAllText("/proc/self/stat");
            var f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (double.Parse(f[11], CultureInfo.InvariantCulture) + double.Parse(f[12], CultureInfo.InvariantCulture) +
                    double.Parse(f[13], CultureInfo.InvariantCulture) + double.Parse(f[14], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }
}
