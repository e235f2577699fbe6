#!/usr/bin/env bash
# Two machines on one: network namespaces dnd-a and dnd-b joined by a veth pair (10.77.0.1 and 10.77.0.2, nothing else
# addressed), one rank in each, Open MPI over TCP only, running `dendrite train ... --distributed`. Needs root, iproute2
# and Open MPI; build the CLI first (dotnet build src/Dendrite.Cli).
#   tests/distributed/two-machines.sh                      # mnist-cnn, 1 epoch
#   tests/distributed/two-machines.sh mnist-mlp --epochs 1 # any train arguments
set -euo pipefail
cd "$(dirname "$0")/../.."
cli="${DENDRITE_CLI:-$PWD/src/Dendrite.Cli/bin/Debug/net10.0/Dendrite.Cli.dll}"
[ -f "$cli" ] || { echo "two-machines: $cli not found; run dotnet build src/Dendrite.Cli first" >&2; exit 1; }
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(mnist-cnn --epochs 1)
work=$(mktemp -d)

cleanup() {
    ip netns del dnd-a 2>/dev/null || true
    ip netns del dnd-b 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
# Namespaces left by a run killed before its cleanup:
ip netns del dnd-a 2>/dev/null || true
ip netns del dnd-b 2>/dev/null || true

ip netns add dnd-a
ip netns add dnd-b
ip link add dnd-va type veth peer name dnd-vb
ip link set dnd-va netns dnd-a
ip link set dnd-vb netns dnd-b
ip -n dnd-a addr add 10.77.0.1/24 dev dnd-va
ip -n dnd-b addr add 10.77.0.2/24 dev dnd-vb
for ns in dnd-a dnd-b; do
    ip -n "$ns" link set lo up
done
ip -n dnd-a link set dnd-va up
ip -n dnd-b link set dnd-vb up

# mpirun starts the remote daemon through its "rsh agent" as `agent HOST COMMAND...`, the way it would call ssh; this
# one enters the namespace that owns HOST's address instead of logging in.
cat > "$work/netns-agent" <<'AGENT'
#!/bin/sh
host=$1
shift
case "$host" in
    10.77.0.1) ns=dnd-a ;;
    10.77.0.2) ns=dnd-b ;;
    *) echo "netns-agent: unknown host $host" >&2; exit 1 ;;
esac
exec ip netns exec "$ns" sh -c "$*"
AGENT
chmod +x "$work/netns-agent"

mpi=(mpirun.openmpi --allow-run-as-root -np 2 -H 10.77.0.1:1,10.77.0.2:1 --bind-to none
    --mca plm_rsh_agent "$work/netns-agent"
    --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24)
# Each rank shows the address of its "machine", so the output proves one rank ran in each namespace.
ip netns exec dnd-a "${mpi[@]}" sh -c 'echo "rank $OMPI_COMM_WORLD_RANK has $(ip -brief -4 addr show | grep dnd-v)"'
# Both "machines" share this machine's cores: one kernel thread per rank keeps them from fighting over them.
ip netns exec dnd-a "${mpi[@]}" -x DENDRITE_NUM_THREADS=1 -x PATH -x HOME dotnet "$cli" train "${args[@]}" --distributed
