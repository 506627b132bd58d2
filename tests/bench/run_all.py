"""`make bench`: every benchmark, one after the other, then the province's figures in one table."""

from __future__ import annotations

from tests.bench import (
    bench_archive,
    bench_callback,
    bench_copied_logs,
    bench_erasure,
    bench_province,
    bench_scoring,
    bench_year,
)


def province_table(figures: list[tuple[str, str, float, float]]) -> None:
    """(what, database, seconds, peak MiB) of every province-sized job measured above."""
    print("\nprovince figures (100,000 cadres unless the row says otherwise; peak MiB: the max RSS of the"
          " process that ran the job, data included)")
    print(f"| {'job':<52} | {'database':<10} | seconds | peak MiB |")
    print(f"|{'-' * 54}|{'-' * 12}|--------:|---------:|")
    for what, database, seconds, peak in figures:
        print(f"| {what:<52} | {database:<10} | {seconds:7.1f} | {peak:8,.0f} |")


if __name__ == "__main__":
    figures: list[tuple[str, str, float, float]] = []
    # In this process, first: a process's peak memory (max RSS) is a high-water mark, so the
    # pure scoring and then the year's publish are measured before anything bigger ran here.
    scoring = bench_scoring.main([])
    figures.append(("quarter + year scoring (pure rules)", "-", scoring["quarter_s"] + scoring["year_s"], scoring["peak_mib"]))
    print()
    year = bench_year.main([])
    figures.append(("publish the year (read, score, write, queue)", "SQLite", year["publish_s"], year["peak_mib"]))
    print()
    bench_callback.main([])
    print()
    databases: list[tuple[str, list[str]]] = [("SQLite", [])]
    if bench_province.postgres_up():
        databases.append(("PostgreSQL", ["--postgres"]))
    for database, argv in databases:  # each job in a child process of its own
        for step, result in bench_province.main(argv).items():
            title = bench_province.STEPS[step][0]
            figures.append((title, database, float(result["seconds"]), float(result["peak_mib"])))  # type: ignore[arg-type]
        print()
    if len(databases) > 1:
        bench_erasure.main([])
        print()
    archive = bench_archive.main([])  # each scenario in a child process of its own
    district = archive["district"]
    figures.append((f"district archive ({district['cadres']:,.0f} cadres: workbook + PDFs)", "SQLite",
                    district["seconds"], district["peak_mb"]))
    province = archive["province"]
    figures.append(("province archive workbook", "SQLite", province["seconds"], province["peak_mb"]))
    print()
    bench_copied_logs.main([])
    province_table(figures)
