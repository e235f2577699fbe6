using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Dendrite.Distributed;

/// <summary>A collective that waits in a <see cref="CollectiveQueue"/>; made once and queued again step after step.</summary>
internal abstract class QueuedCollective
{
    /// <summary>Runs the collective on the queue's thread; it may call the group's <c>…Core</c> methods only.</summary>
    public abstract void Run();
}

/// <summary>
/// One background thread per process group that runs queued collectives in the order they were queued, as Horovod's
/// and PyTorch's communication threads do: the training thread queues a gradient bucket the moment backward has filled
/// it and goes on with the next layer's backward. Queuing allocates nothing.
/// </summary>
internal sealed class CollectiveQueue : IDisposable
{
    private readonly Queue<QueuedCollective> _waiting = new();
    private readonly Thread _thread;
    private readonly object _lock = new();
    private long _queued;
    private long _finished;
    private long _busyTicks;
    private ExceptionDispatchInfo? _failure;
    private bool _stopping;

    public CollectiveQueue(ProcessGroup group)
    {
        _thread = new Thread(Loop)
        {
            IsBackground = true,   // a job that ends by an exception must not wait for this thread
            Name = $"Dendrite collectives, rank {group.Rank}",
        };
        _thread.Start();
    }

    /// <summary>Time the thread spent inside collectives (including waits for slower ranks).</summary>
    public TimeSpan BusyTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _busyTicks));

    public void Post(QueuedCollective work)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _waiting.Enqueue(work);
            _queued++;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Waits until everything queued so far has run; rethrows a collective's failure.</summary>
    public void Drain()
    {
        lock (_lock)
        {
            while (_finished < _queued && _failure is null) Monitor.Wait(_lock);
            _failure?.Throw();
        }
    }

    private void Loop()
    {
        while (true)
        {
            QueuedCollective work;
            lock (_lock)
            {
                while (_waiting.Count == 0 && !_stopping) Monitor.Wait(_lock);
                if (_waiting.Count == 0) return;
                work = _waiting.Dequeue();
            }
            long start = Stopwatch.GetTimestamp();
            ExceptionDispatchInfo? failure = null;
            try
            {
                work.Run();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            Interlocked.Add(ref _busyTicks, Stopwatch.GetTimestamp() - start);
            lock (_lock)
            {
                _finished++;
                if (failure is not null)
                {
                    // Later collectives would pair with the wrong ones on the other ranks: drop them.
                    _failure ??= failure;
                    _finished += _waiting.Count;
                    _waiting.Clear();
                }
                Monitor.PulseAll(_lock);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.PulseAll(_lock);
        }
        // A thread stuck in a collective whose partners died cannot be joined; it is a background thread.
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
