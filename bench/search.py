"""Benchmark of procedure search: latency, throughput, start-up time and memory.

    .venv/bin/python bench/search.py [--rounds 5] [--procedures 2000] [--queries FILE ...]

Runs on one core (pinned where the OS allows) against
  1. the shipped catalogue, and
  2. a generated catalogue of N procedures with aliases (realistic Vietnamese names),
and, side by side on the same queries, the obvious approach: rapidfuzz `process.extractOne` with
`WRatio` over every name and alias. Queries are the citizen questions in tests/data/*.yaml.
Prints numbers; asserts nothing (targets: p99 ≤ 2 ms at 2,000 procedures, ≥ 10× the baseline).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from core.catalogue import Catalogue, load_catalogue  # noqa: E402
from core.catalogue.models import Procedure  # noqa: E402
from core.search import Lexicon, ProcedureSearch  # noqa: E402
from core.search.examples import AnalysisCache, Examples, load_examples  # noqa: E402
from core.text import fold  # noqa: E402

ACTIONS = [
    "Cấp", "Cấp lại", "Cấp đổi", "Đăng ký", "Đăng ký lại", "Xác nhận", "Gia hạn", "Điều chỉnh",
    "Thu hồi", "Công nhận", "Phê duyệt", "Thẩm định", "Hỗ trợ", "Giải quyết chế độ", "Chấm dứt",
    "Thông báo", "Chuyển đổi", "Bổ sung", "Xét tặng", "Hòa giải",
]  # fmt: skip
OBJECTS = [
    "giấy phép kinh doanh", "hộ kinh doanh", "chứng chỉ hành nghề", "giấy phép xây dựng",
    "giấy chứng nhận quyền sử dụng đất", "trợ cấp thất nghiệp", "nhà văn hóa thôn",
    "câu lạc bộ thể thao", "cơ sở chăn nuôi", "vùng trồng lúa", "hợp tác xã nông nghiệp",
    "tổ hợp tác", "lễ hội truyền thống", "di tích lịch sử", "điểm bán lẻ thuốc",
    "cơ sở giáo dục mầm non", "nhóm trẻ độc lập", "quỹ từ thiện", "hội đoàn thể",
    "khu dân cư văn hóa", "cơ sở giết mổ", "bến thủy nội địa", "đường giao thông nông thôn",
    "công trình thủy lợi", "rừng sản xuất", "hộ gia đình nông dân", "làng nghề",
    "chợ nông thôn", "tàu cá", "giống cây trồng", "phân bón hữu cơ", "trang trại",
]  # fmt: skip
QUALIFIERS = [
    "", "cho cá nhân", "cho tổ chức", "lần đầu", "do bị mất", "do hư hỏng",
    "khi thay đổi thông tin", "trên địa bàn xã", "đối với người cao tuổi", "đối với hộ nghèo",
    "có yếu tố nước ngoài",
]  # fmt: skip
ALIAS_VERBS = ["làm", "xin", "đăng ký", "cấp", "hỏi về", "thủ tục"]


def generated_catalogue(base: Catalogue, size: int, seed: int = 7) -> Catalogue:
    """The shipped procedures plus generated ones up to `size`, each with 8–15 aliases."""
    rng = random.Random(seed)
    template = next(iter(base))
    procedures: list[Procedure] = list(base)
    seen = {p.name for p in procedures}
    while len(procedures) < size:
        action, obj, qualifier = rng.choice(ACTIONS), rng.choice(OBJECTS), rng.choice(QUALIFIERS)
        name = " ".join(part for part in (action, obj, qualifier) if part)
        if name in seen:
            name = f"{name} (mẫu {len(procedures)})"
        seen.add(name)
        aliases = {f"{rng.choice(ALIAS_VERBS)} {obj}" for _ in range(4)}
        aliases |= {f"{obj} {rng.choice(QUALIFIERS)}".strip() for _ in range(4)}
        aliases |= {f"{action.lower()} {obj}", obj, f"giấy tờ {obj}", f"{obj} ở xã"}
        procedures.append(
            template.model_copy(
                update={
                    "id": f"thu-tuc-sinh-{len(procedures)}",
                    "name": name,
                    "aliases": sorted(aliases)[: rng.randint(8, 15)],
                    "keywords": obj.split()[:2],
                    "related": [],
                }
            )
        )
    return Catalogue(procedures, base.commune, base.referrals)


def load_queries(files: list[Path] | None = None) -> list[str]:
    """The questions of `files` (YAML lists of cases with `q`, or text, one per line), by
    default this tree's dev, tune and holdout sets. Two trees compared side by side should be
    given the same files: each tree's own sets differ when one has added questions."""
    queries: list[str] = []
    if files is None:
        names = ("dev_queries.yaml", "search_tune.yaml", "search_holdout.yaml")
        files = [ROOT / "tests" / "data" / name for name in names]
        files = [path for path in files if path.exists()]
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yaml", ".yml"):
            queries += [case["q"] for case in yaml.safe_load(text)]
        else:
            queries += [line for line in text.splitlines() if line.strip()]
    return queries


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_ours(
    search: ProcedureSearch, queries: list[str], rounds: int
) -> tuple[list[float], list[float]]:
    """Per-query seconds, on the wall clock and in CPU time (the thread's own: on a machine
    shared with other jobs, the wall clock's tail is mostly waiting for the core). The
    text-level cache is cleared before each query so that repeating the query set measures the
    work, not a dictionary lookup; word-level caches stay warm as they do in a running bot."""
    wall, cpu = [], []
    for _ in range(rounds):
        for query in queries:
            fold.cache_clear()
            start, start_cpu = time.perf_counter(), time.thread_time()
            search.search(query)
            cpu.append(time.thread_time() - start_cpu)
            wall.append(time.perf_counter() - start)
    return wall, cpu


def time_baseline(catalogue: Catalogue, queries: list[str], rounds: int) -> list[float]:
    choices = [text for p in catalogue for text in (p.name, *p.aliases)]
    timings = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            process.extractOne(query, choices, scorer=fuzz.WRatio, processor=utils.default_process)
            timings.append(time.perf_counter() - start)
    return timings


def cached_start(catalogue: Catalogue, lexicon: Lexicon, examples: Examples | None) -> str:
    """Start-up once the analysed example questions are in their cache file (the bot's second
    start on the same files), as wall clock and CPU time."""
    with tempfile.TemporaryDirectory() as folder:
        cache = AnalysisCache(Path(folder) / "examples-analysed.json")
        ProcedureSearch(catalogue, lexicon, examples=examples, examples_cache=cache)  # writes it
        start, start_cpu = time.perf_counter(), time.thread_time()
        ProcedureSearch(catalogue, lexicon, examples=examples, examples_cache=cache)
        wall, cpu = time.perf_counter() - start, time.thread_time() - start_cpu
    return f"{1e3 * wall:.0f} ms (CPU time {1e3 * cpu:.0f} ms)"


def report(label: str, timings: list[float]) -> float:
    total = sum(timings)
    qps = len(timings) / total
    print(
        f"  {label:<34} p50 {percentile(timings, 0.5) * 1e3:7.3f} ms   "
        f"p99 {percentile(timings, 0.99) * 1e3:7.3f} ms   {qps:9.0f} queries/s"
    )
    return qps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline-rounds", type=int, default=1)
    parser.add_argument("--procedures", type=int, default=2000)
    parser.add_argument(
        "--queries",
        type=Path,
        nargs="+",
        help="question files (YAML cases with `q`, or one question a line) instead of this "
        "tree's dev, tune and holdout sets: the same list for two trees compared",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    gc.collect()
    rss_start = rss_mb()

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    start = time.perf_counter()
    catalogue = load_catalogue(settings.catalogue_file, settings.commune_file)
    lexicon = Lexicon.load(settings.lexicon_file)
    ids = [p.id for p in catalogue] + [r.id for r in catalogue.referrals]
    examples = load_examples(settings.examples_file, ids) if settings.examples_file else None
    loaded, loaded_cpu = time.perf_counter(), time.thread_time()
    search = ProcedureSearch(catalogue, lexicon, examples=examples)
    built, built_cpu = time.perf_counter(), time.thread_time()
    queries = load_queries(args.queries)
    source = " ".join(map(str, args.queries)) if args.queries else "tests/data"
    print(f"queries: {len(queries)} citizen questions from {source}, on one core")
    print(f"python {sys.version.split()[0]}")

    print(f"\nshipped catalogue: {len(catalogue)} procedures, {len(catalogue.referrals)} referrals")
    print(
        f"  start-up: load+validate {1e3 * (loaded - start):.0f} ms, "
        f"index and examples model {1e3 * (built - loaded):.0f} ms "
        f"(CPU time {1e3 * (built_cpu - loaded_cpu):.0f} ms)"
    )
    wall, cpu = time_ours(search, queries, args.rounds)
    ours = report("ours", wall)
    report("ours, CPU time", cpu)
    if args.baseline_rounds:  # 0: ours only, for side-by-side runs of two commits
        base = report(
            "baseline extractOne(WRatio)", time_baseline(catalogue, queries, args.baseline_rounds)
        )
        print(f"  speed-up: {ours / base:.1f}×")

    big = generated_catalogue(catalogue, args.procedures)
    aliases = sum(len(p.aliases) for p in big)
    start, start_cpu = time.perf_counter(), time.thread_time()
    big_search = ProcedureSearch(big, lexicon, examples=examples)
    built, built_cpu = time.perf_counter(), time.thread_time()
    print(f"\ngenerated catalogue: {len(big)} procedures, {aliases} aliases")
    print(
        f"  start-up: index and examples model {1e3 * (built - start):.0f} ms "
        f"(CPU time {1e3 * (built_cpu - start_cpu):.0f} ms)"
    )
    wall, cpu = time_ours(big_search, queries, args.rounds)
    ours = report("ours", wall)
    report("ours, CPU time", cpu)
    if args.baseline_rounds:
        base = report(
            "baseline extractOne(WRatio)", time_baseline(big, queries, args.baseline_rounds)
        )
        print(f"  speed-up: {ours / base:.1f}×")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmemory: RSS at start {rss_start:.0f} MB, now {rss_mb():.0f} MB, peak {peak:.0f} MB")
    # After the memory figures: two more searches built here would raise the peak.
    del search, big_search
    print("\nstart-up, index and examples model, the analysed example questions in their cache:")
    print(f"  shipped catalogue: {cached_start(catalogue, lexicon, examples)}")
    print(f"  generated catalogue: {cached_start(big, lexicon, examples)}")


if __name__ == "__main__":
    main()
