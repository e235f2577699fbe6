namespace Dendrite.Bench;

/// <summary>Resident-set figures of this process from Linux's /proc (NaN elsewhere).</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM) in MB since the process started or since <see cref="ResetPeak"/>.</summary>
    public static double PeakRssMb() => ReadStatusKb("VmHWM:") / 1024.0;

    public static double RssMb() => ReadStatusKb("VmRSS:") / 1024.0;

    /// <summary>
    /// Sets the peak to the current resident size (writing 5 to /proc/self/clear_refs, Linux 4.0+), so a workload's peak
    /// is not an earlier workload's. Returns false where that is not possible.
    /// </summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return false;
        }
    }

    /// <summary>The 1-, 5- and 15-minute load averages from /proc/loadavg ("?" elsewhere): other work on the machine.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }

    private static double ReadStatusKb(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                    return double.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return double.NaN;
    }
}
