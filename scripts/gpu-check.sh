#!/usr/bin/env bash
# The GPU check of issue 23: `bench train --backend webgpu` for GEARS and BioDSNN on the norman-like
# synthetic screen, printing the WebGPU adapter and the seconds per epoch (targets on a GPU: GEARS
# ≤ 3 s, BioDSNN ≤ 6 s). At most 10 minutes; needs nothing outside the repository once prepared:
#
#   scripts/gpu-check.sh --prepare      # here: copies the knowledge files into .cache/gpu-check/
#                                       # (5.7 MB), which travels with the tree (carry .cache/gpu-check)
#   scripts/gpu-check.sh                # there, after `npm ci` (or with node_modules carried)
#   scripts/gpu-check.sh --preset small --epochs 1 --prior none --allow-software   # a rehearsal on lavapipe
#
# The synthetic screen is generated and imported on the machine (about a minute for norman-like).
# Without a hardware adapter (no NVIDIA Vulkan driver in the container: Dawn then offers lavapipe or
# nothing) it says so and stops, unless --allow-software. Exit code: 0 done, 3 no hardware adapter.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=norman-like
epochs=2
allow_software=0
prior=()
budget=570 # seconds for everything after the start, under the 10-minute limit
while [ $# -gt 0 ]; do
  case "$1" in
    --prepare)
      src="${PERTURB_STUDIO_KNOWLEDGE:-../shared/knowledge}"
      mkdir -p .cache/gpu-check
      rm -rf .cache/gpu-check/knowledge
      cp -r "$src" .cache/gpu-check/knowledge
      echo "knowledge copied from $src to .cache/gpu-check/knowledge ($(du -sh .cache/gpu-check | cut -f1)); carry .cache/gpu-check"
      exit 0
      ;;
    --preset) preset="$2"; shift ;;
    --epochs) epochs="$2"; shift ;;
    --allow-software) allow_software=1 ;;
    --prior) prior=(--prior "$2"); shift ;;
    --budget) budget="$2"; shift ;;
    *) echo "unknown option $1 (see the head of $0)" >&2; exit 2 ;;
  esac
  shift
done

start=$(date +%s)
left() { echo $((budget - ($(date +%s) - start))); }

if [ -z "${PERTURB_STUDIO_KNOWLEDGE:-}" ]; then
  if [ -d .cache/gpu-check/knowledge ]; then export PERTURB_STUDIO_KNOWLEDGE="$PWD/.cache/gpu-check/knowledge"
  elif [ -d ../shared/knowledge ]; then export PERTURB_STUDIO_KNOWLEDGE="$(cd ../shared/knowledge && pwd)"
  else echo "no knowledge files: run scripts/gpu-check.sh --prepare where ../shared/knowledge exists, and carry .cache/gpu-check" >&2; exit 2
  fi
fi
# Dawn's Vulkan loader wants a writable runtime folder.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  export XDG_RUNTIME_DIR="$(mktemp -d)"
  chmod 700 "$XDG_RUNTIME_DIR"
fi

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: none"
ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | tr '\n' ' ' || true
echo
node --version
echo "cores: $(nproc)"

out=$(mktemp)
status=0
for model in gears biodsnn; do
  t=$(left)
  if [ "$t" -lt 30 ]; then echo "== $model: skipped, $t s left of the budget"; status=1; continue; fi
  echo "== $model ($preset, $epochs epochs, webgpu; $t s left)"
  flags=(--preset "$preset" --model "$model" --epochs "$epochs" --backend webgpu "${prior[@]}")
  [ "$allow_software" = 1 ] || flags+=(--require-hardware)
  set +e
  timeout "$t" node bin/bench.js train "${flags[@]}" | tee -a "$out"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" = 3 ]; then echo "== no hardware WebGPU adapter: nothing to time (see the backend line above)"; status=3; break; fi
  if [ "$rc" != 0 ]; then echo "== $model: exit code $rc (124: out of time)"; status=1; fi
done

echo "== summary"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
const b = lines.find((l) => l.figure === "backend")
if (b) console.log(`adapter: ${b.device}${b.adapter ? ` — vendor ${b.adapter.vendor}, architecture ${b.adapter.architecture}, software ${b.adapter.software}` : ""}`)
for (const l of lines.filter((l) => l.figure === "epoch")) console.log(`${l.model} epoch ${l.epoch}: ${l.seconds} s (target ${l.target}), ${l.conditionsPerSecond} conditions/s, ${l.steps} steps, val mse_de ${l.valMseDe}`)
for (const l of lines.filter((l) => l.figure === "run")) console.log(`${l.model} run: ${l.seconds} s in all, test mse_de ${l.testMseDe}`)
for (const l of lines.filter((l) => l.figure === "prepare-dataset")) console.log(`dataset prepared in ${l.seconds} s`)
' "$out"
rm -f "$out"
echo "total: $(( $(date +%s) - start )) s"
exit $status
