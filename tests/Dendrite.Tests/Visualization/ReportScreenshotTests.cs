using System.Diagnostics;
using Dendrite.Tests.TestSupport;
using Dendrite.Training;
using Dendrite.Visualization;
using StbImageSharp;
using Xunit.Abstractions;

namespace Dendrite.Tests.Visualization;

/// <summary>
/// report.html as a browser shows it: headless Chromium takes a screenshot, StbImageSharp decodes it, and the curves'
/// colours must be there. With DENDRITE_REPORT_HTML set (tests/report/screenshot.sh does, after a real W2 run) that
/// report is checked and its screenshot kept beside it as report.png; otherwise a report of a made-up history.
/// A machine without Chromium skips the check, except under CI, which installs it (.ci/run): there it fails.
/// </summary>
public class ReportScreenshotTests(ITestOutputHelper output)
{
    [Fact]
    public void Chromium_shows_the_training_and_validation_curves()
    {
        if (Chromium() is not { } chromium) return;
        using var dir = new TempDirectory();
        string html = Environment.GetEnvironmentVariable("DENDRITE_REPORT_HTML") is { Length: > 0 } given
            ? Path.GetFullPath(given)
            : WriteSample(Path.Combine(dir.Path, "report.html"), TrainingReportTests.ThreeEpochs());
        string png = Environment.GetEnvironmentVariable("DENDRITE_REPORT_HTML") is { Length: > 0 }
            ? Path.Combine(Path.GetDirectoryName(html)!, "report.png")
            : Path.Combine(dir.Path, "report.png");

        var image = Screenshot(chromium, html, png);
        var (train, validation, inked) = Count(image);
        output.WriteLine($"{png}: {image.Width}x{image.Height}, {train} train-blue and {validation} validation-orange pixels, {inked:P1} non-white");
        Assert.True(inked > 0.01, $"the screenshot is blank: {inked:P2} of its pixels are not white");
        Assert.True(train >= 200, $"only {train} pixels of the training curve's colour in {png}");
        Assert.True(validation >= 200, $"only {validation} pixels of the validation curve's colour in {png}");
    }

    [Fact]
    public void The_check_fails_on_a_page_without_curves()
    {
        if (Chromium() is not { } chromium) return;
        using var dir = new TempDirectory();
        var history = new History();
        history.Add(new Dictionary<string, double> { ["time"] = 1 });   // nothing to draw
        string html = WriteSample(Path.Combine(dir.Path, "report.html"), history);
        var (train, validation, _) = Count(Screenshot(chromium, html, Path.Combine(dir.Path, "report.png")));
        Assert.True(train < 200 && validation < 200, $"{train} blue and {validation} orange pixels on a page with no chart");
    }

    private string? Chromium()
    {
        var found = new[] { Environment.GetEnvironmentVariable("DENDRITE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome" }
            .Where(name => !string.IsNullOrEmpty(name))
            .Select(name => Path.IsPathRooted(name) ? name : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Select(d => Path.Combine(d, name!)).FirstOrDefault(File.Exists))
            .FirstOrDefault(path => path is not null && File.Exists(path));
        Assert.False(found is null && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")),
            "CI is set but no chromium on PATH: install it (apt-get install chromium), as .ci/run does.");
        if (found is null) output.WriteLine("no chromium on PATH: not run");
        return found;
    }

    private static string WriteSample(string path, History history)
    {
        new TrainingReport { Title = "screenshot check", History = history, Confusion = TrainingReportTests.TwoClasses() }.Write(path);
        return path;
    }

    private ImageResult Screenshot(string chromium, string html, string png)
    {
        using var profile = new TempDirectory();   // a fresh browser profile, removed afterwards
        var start = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                     $"--user-data-dir={profile.Path}", $"--screenshot={png}", "--window-size=1280,1400", new Uri(html).AbsoluteUri })
            start.ArgumentList.Add(arg);
        using var browser = Process.Start(start)!;
        var stdout = browser.StandardOutput.ReadToEndAsync();
        var stderr = browser.StandardError.ReadToEndAsync();
        if (!browser.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            browser.Kill(entireProcessTree: true);
            Assert.Fail($"chromium took over 2 minutes: {stderr.Result}");
        }
        output.WriteLine(stdout.Result + stderr.Result);
        Assert.True(File.Exists(png), $"chromium exited with {browser.ExitCode} and wrote no {png}: {stderr.Result}");
        return ImageResult.FromMemory(File.ReadAllBytes(png), ColorComponents.RedGreenBlue);
    }

    /// <summary>Pixels within 3 levels of the train and validation colours, and the share that is not white.</summary>
    private static (int Train, int Validation, double Inked) Count(ImageResult image)
    {
        int train = 0, validation = 0, inked = 0;
        var data = image.Data;
        for (int i = 0; i + 2 < data.Length; i += 3)
        {
            if (Near(data, i, TrainingReport.TrainColor)) train++;
            if (Near(data, i, TrainingReport.ValidationColor)) validation++;
            if (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250) inked++;
        }
        return (train, validation, (double)inked / (image.Width * image.Height));
    }

    private static bool Near(byte[] data, int i, Rgb c) =>
        Math.Abs(data[i] - c.R) <= 3 && Math.Abs(data[i + 1] - c.G) <= 3 && Math.Abs(data[i + 2] - c.B) <= 3;
}
