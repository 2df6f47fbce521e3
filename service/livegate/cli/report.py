"""Readable text for the CLI: the cheapest path first, then every category."""

from __future__ import annotations

from .knowledge import Catalogue

__all__ = ["evaluation_text", "catalogue_text"]

_STATUS = {"eligible": "可直接申请 eligible", "missing": "尚缺材料 missing",
           "not_applicable": "不适用 not_applicable", "blocked": "被阻止 blocked"}


def _item(cat: Catalogue, i: str, n: int = 1) -> str:
    it = cat.items[i]
    name = it["name"] + (f"（{it['qualifier']}）" if it["qualifier"] else "")
    more = f" ×{n}" if it["counted"] else ""
    return f"{name}{more} [{i}; {it['issuer_class']}]"


def evaluation_text(answer: dict, cat: Catalogue) -> str:
    out: list[str] = []
    rs = answer["ruleset"]
    out.append(f"livegate ruleset {rs['version']} ({rs['digest'][:19]}…)")
    if not answer["subject_supported"]:
        out.append("主体不支持直播：个人认证的微信小程序暂不支持直播业务。")
    cheapest = answer["cheapest"]
    out.append("")
    out.append("== 最低成本路径 Cheapest path ==")
    if cheapest["cost"] is None:
        out += ["  " + line for line in cheapest.get("explanation", ["没有可行路径。"])]
    for k, plan in enumerate(cheapest["plans"], 1):
        names = " + ".join(f"【{cat.categories[c]['name']}】" for c in plan["categories"]) or "（无需类目）"
        out.append(f"[{k}] {names}  成本 cost {plan['cost']}  接入 {cat.access_methods[plan['access']]['name']}")
        for line in plan.get("explanation", []):
            out.append("    " + line)
        if "explanation" not in plan:
            for d in plan["missing_detail"]:
                out.append("    缺 " + _item(cat, d["id"], d["count"]))
    out.append("")
    out.append("== 各类目 Categories ==")
    for c in answer["categories"]:
        access = cat.access_methods[c["access"]]["name"]
        out.append(f"【{c['name']}】 {c['id']}: {_STATUS[c['status']]} · {access}")
        if "explanation" in c:  # between the status line and the source: reasons, then what each set lacks
            out += ["    " + line for line in c["explanation"][1:-1]]
        elif c["status"] in ("missing", "blocked"):
            for s in c["missing_sets"]:
                items = "、".join(_item(cat, i, s["shortfalls"].get(i, 1)) for i in s["documents"])
                out.append(f"    按 {s['alternative']}（成本 {s['cost']}）缺：{items}")
    out.append("")
    for note in answer.get("notes", []):
        out.append(f"注：{note['text']}（来源第 {note['line']} 行）")
    return "\n".join(out) + "\n"


def catalogue_text(data: dict) -> str:
    out = [f"livegate ruleset {data['ruleset']['version']} ({data['ruleset']['digest'][:19]}…)", ""]
    items = {i["id"]: i for i in data["items"]}
    out.append(f"== 类目 Categories ({len(data['categories'])}) ==")
    for c in data["categories"]:
        out.append(f"【{c['name']}】 {c['id']} · 场景 {c['scenario']} · 接入 {c['access']} · 第 {c['source']['line']} 行")
        for alt in c["alternatives"]:
            reserved = f"（仅 {', '.join(alt['reserved_for'])}）" if alt["reserved_for"] else ""
            out.append(f"    - {alt['id']}{reserved}: {alt['label']}")
            for req in alt["items"]:
                count = f" ×{req['count']}" if req["count"] > 1 else ""
                out.append(f"        · {req['item']}{count}: {items[req['item']]['name']}")
    out.append("")
    out.append(f"== 材料 Items ({len(data['items'])}) ==")
    for i in data["items"]:
        q = f"（{i['qualifier']}）" if i["qualifier"] else ""
        out.append(f"  {i['id']}: {i['name']}{q} · {i['issuer_class']} · 成本 {i['default_cost']}")
    for title, key in (("角色 Roles", "roles"), ("场景 Scenarios", "scenarios"),
                       ("主体 Subject types", "subject_types"), ("接入 Access methods", "access_methods")):
        out.append("")
        out.append(f"== {title} ==")
        out += [f"  {r['id']}: {r['name']}" for r in data[key]]
    out.append("")
    out.append("== 活动 Activities ==")
    out += [f"  {a['id']} ({a['category']}; {', '.join(map(str, a['effects']))}): {a['text']}" for a in data["activities"]]
    return "\n".join(out) + "\n"
