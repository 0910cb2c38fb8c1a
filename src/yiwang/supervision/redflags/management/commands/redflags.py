"""``yiwang redflags``: screening runs from the command line.

    yiwang redflags run --ocds FILE [--region 310000] [--currency CNY] [--codes R024,R058]
                        [--param R024.threshold=0.05] [--param '*.currency=USD'] [--cardinal-json OUT] [--workers N]
    yiwang redflags run --platform [--region 310000] [--codes …]
    yiwang redflags demo [--given]  the seeded collusion scenario (闵行): through tendering, finance and the bid
                                    box after ``yiwang seed-demo``; given as frames with --given or without seed
    yiwang redflags indicators      the indicator catalogue

Runs as the platform itself (the operator at the console); alerts go to the regulators of the region.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.supervision.redflags import actions, queries
from yiwang.supervision.redflags.demo import DemoUnavailable, seed_collusion_on_platform, seed_collusion_scenario


def parse_params(items: list[str]) -> dict[str, dict[str, Any]]:
    """``CODE.name=value`` (value as JSON when it parses, else text) → ``{CODE: {name: value}}``."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        left, sep, raw = item.partition("=")
        code, dot, name = left.partition(".")
        if not sep or not dot or not code or not name:
            raise CommandError(f"--param {item!r}: expected CODE.name=value")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(code, {})[name] = value
    return out


class Command(BaseCommand):
    help = "Red-flag screening: run over an OCDS file or the platform's data; the demo scenario; the catalogue."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        run = sub.add_parser("run", help="run a screen")
        which = run.add_mutually_exclusive_group(required=True)
        which.add_argument("--ocds", metavar="FILE", help="OCDS JSON Lines (compiled releases or records)")
        which.add_argument("--platform", action="store_true", help="the platform's own data")
        run.add_argument("--region", default=None, help="region scope (default: the platform's region)")
        run.add_argument("--currency", default=None, help="main currency of an OCDS file")
        run.add_argument(
            "--codes",
            default=None,
            help="comma-separated indicator codes (default: Cardinal's for OCDS, all for the platform)",
        )
        run.add_argument(
            "--param", action="append", default=[], help="CODE.name=value (repeatable; * = every indicator)"
        )
        run.add_argument("--min-alert-score", type=float, default=actions.DEFAULT_MIN_ALERT_SCORE)
        run.add_argument("--max-alerts", type=int, default=actions.DEFAULT_MAX_ALERTS)
        run.add_argument(
            "--cardinal-json", metavar="OUT", default=None, help="write the results in Cardinal's JSON shape"
        )
        run.add_argument(
            "--workers", type=int, default=None, help="parser processes for an OCDS file (default: one per core)"
        )
        demo = sub.add_parser("demo", help="seed the collusion scenario (through the platform after seed-demo)")
        demo.add_argument(
            "--given", action="store_true", help="give the scenario's records as frames (no tender, no bid box)"
        )
        sub.add_parser("indicators", help="list the indicator catalogue")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["what"] == "indicators":
                for ind in queries.list_indicators():
                    params = ", ".join(f"{p.name}={p.default!r}" for p in ind.parameters)
                    units = "/".join(ind.unit_labels)
                    self.stdout.write(
                        f"{ind.code:12} {ind.name_zh}（{ind.family_label}）  单位：{units}  参数：{params or '—'}"
                    )
                return
            actor = Actor.system("cli")
            if options["what"] == "demo":
                run = self._demo(actor, given=options["given"])
            else:
                region = options["region"] or settings.YIWANG_PLATFORM_REGION
                codes = [c.strip() for c in options["codes"].split(",") if c.strip()] if options["codes"] else None
                overrides = parse_params(options["param"])
                if options["ocds"]:
                    run = actions.do_import_ocds(
                        actor=actor,
                        source=options["ocds"],
                        region_code=region,
                        currency=options["currency"],
                        codes=codes,
                        overrides=overrides,
                        min_alert_score=options["min_alert_score"],
                        max_alerts=options["max_alerts"],
                        workers=options["workers"],
                    )
                else:
                    run = actions.do_run_platform(
                        actor=actor,
                        region_code=region,
                        codes=codes,
                        overrides=overrides,
                        min_alert_score=options["min_alert_score"],
                        max_alerts=options["max_alerts"],
                    )
            view = queries.get_run_for(actor, run.pk)
        except YiwangError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None
        self._report(view)
        if options.get("cardinal_json"):
            with open(options["cardinal_json"], "w", encoding="utf-8") as out:
                json.dump(queries.cardinal_output_for(actor, run.pk), out, ensure_ascii=False, indent=1)
            self.stdout.write(f"Cardinal JSON: {options['cardinal_json']}")

    def _demo(self, actor: Actor, *, given: bool) -> Any:
        from yiwang.trading.tender.demo import DemoFailed

        if not given:
            try:
                return seed_collusion_on_platform(out=self.stdout.write, actor=actor)
            except DemoUnavailable as exc:
                self.stdout.write(f"{exc}：以给定数据表演示")
            except DemoFailed as exc:
                raise CommandError(str(exc)) from None
        return seed_collusion_scenario(actor)

    def _report(self, view: queries.RunView) -> None:
        self.stdout.write(f"批次 #{view.id} {view.source_label} {view.label}（{view.region_code}）")
        if view.ingest:
            i = view.ingest
            self.stdout.write(
                f"  读取 {i.get('bytes', 0) / 1e6:.1f} MB，{i.get('processes', 0)} 个项目，"
                f"{i.get('seconds', 0):.2f} s = {i.get('mb_per_second', 0):.1f} MB/s（{i.get('workers', 1)} 个进程）；"
                f"格式错误 {i.get('malformed', 0)} 行"
            )
            for e in (i.get("errors") or [])[:20]:
                self.stdout.write(f"    第 {e['line']} 行 {e['code']}: {e['message']}")
        self.stdout.write(
            f"  计算 {view.seconds_compute:.2f} s；发现 {view.findings_count} 条；"
            f"新预警 {view.alerts_raised}，更新 {view.alerts_updated}"
        )
        for code, s in view.summary.items():
            state = (
                f"不可计算（{s['not_computable']['code']}）"
                if s.get("not_computable")
                else f"总体 {s['population']}，预警 {s['flagged']}"
            )
            self.stdout.write(f"  {code:12} {state}  {s['seconds']:.3f} s")
        for note in view.notes:
            self.stdout.write(f"  注：{note}")
