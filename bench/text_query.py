"""Time of one text-search query's embedding: tokenising, then the text tower, on a
full-size ViT-B/32 text tower (``python -m tools.model export --untrained --model-dir DIR``:
random weights, the real architecture, int8 like the shipped model).

    .venv/bin/python bench/text_query.py --model-dir /tmp/vitb32

Prints the figures; the last line is one JSON object with ``goals_met``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from core.ai.onnx import run_text_tower
from core.ai.text import TextEncoder

QUERY = "red summer dress for a wedding"
GOAL_P50_MS = 40.0


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered) * 1e3, 3),
        "p90": round(ordered[int(0.9 * (len(ordered) - 1))] * 1e3, 3),
        "min": round(ordered[0] * 1e3, 3),
    }


def measure(model_dir: Path, query: str = QUERY, runs: int = 200) -> dict:
    """p50/p90/min in ms of tokenising ``query``, of the text tower alone on its ids, and of
    ``embed(query)`` end to end, after a warm-up."""
    encoder = TextEncoder.load(model_dir)
    ids, mask = encoder.token_ids([query])
    for _ in range(10):  # warm-up: ONNX Runtime's first runs allocate
        encoder.embed(query)
    tokenise, tower, embed = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        encoder.token_ids([query])
        tokenise.append(time.perf_counter() - start)
        start = time.perf_counter()
        run_text_tower(encoder._session, ids, mask, encoder._output)
        tower.append(time.perf_counter() - start)
        start = time.perf_counter()
        encoder.embed(query)
        embed.append(time.perf_counter() - start)
    return {
        "query": query,
        "tokens": int(mask.sum()),
        "runs": runs,
        "tokenise_ms": _ms(tokenise),
        "tower_ms": _ms(tower),
        "embed_ms": _ms(embed),
        "quantization": encoder.manifest.get("quantization"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--query", default=QUERY)
    args = parser.parse_args()
    result = measure(args.model_dir, args.query, args.runs)
    print(f"query {result['query']!r}: {result['tokens']} tokens, {result['runs']} runs")
    for name in ("tokenise_ms", "tower_ms", "embed_ms"):
        figures = result[name]
        print(f"  {name[:-3]:9} p50 {figures['p50']:8.3f} ms  p90 {figures['p90']:8.3f} ms")
    result["goals_met"] = {"text_embed_p50_ms < 40": result["embed_ms"]["p50"] < GOAL_P50_MS}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
