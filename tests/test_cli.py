"""The ``livegate`` command, run as a separate process: evaluate, catalogue, lint, and its errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def livegate(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "livegate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
    )


def assert_clean_failure(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr)


# --- evaluate ---------------------------------------------------------------------------------
def test_evaluate_text_puts_the_cheapest_path_first_with_the_source_names():
    proc = livegate("evaluate", str(EXAMPLES / "car_dealer.json"), "--format", "text")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    cheapest, categories = out.index("最低成本路径"), out.index("各类目")
    assert cheapest < categories
    path = out[cheapest:categories]
    assert "【汽车-汽车预售服务】" in path and "成本 10" in path
    (still_needed,) = [line for line in path.splitlines() if "还需取得" in line]
    assert "《工信部道路机动车辆生产企业准入许可》" in still_needed
    assert "《厂商授权销售文件》" not in still_needed and "《营业执照》" not in still_needed  # held already
    every = out[categories:]
    for name in (
        "【电商平台】",
        "【教育-学历教育（学校）】",
        "【工具-视频客服】",
        "【金融-股票信息服务平台（港股/美股）】",
    ):
        assert name in every
    assert re.search(r"auto_presale: .*missing", every)
    assert re.search(r"edu_academic_school: .*not_applicable", every)


def test_fail_evaluate_text_scenario_line_says_the_outside_category_a_cost_of_0_still_needs():
    """L66: 社交-直播 with 时政 content also needs the 时政信息类目. The scenario's line said only
    "cost 0 【社交-直播】", a plain "ready" to whoever reads no further."""
    profile = {
        "subject": {"type": "enterprise"},
        "documents": ["av_programme_licence"],
        "activities": ["social_current_affairs"],
        "goal": {"scenario": "entertainment"},
    }
    proc = livegate("evaluate", "-", "--format", "text", stdin=json.dumps(profile))
    assert proc.returncode == 0, proc.stderr
    (line,) = [x for x in _section(proc.stdout, "各直播场景的最低成本路径") if "entertainment" in x]
    assert line.endswith("成本 0  【社交-直播】 (另需时政信息类目)")


def test_evaluate_text_gives_each_scenario_and_the_next_steps_in_english():
    profile = {"subject": {"type": "enterprise"}, "documents": ["business_license"]}
    proc = livegate("evaluate", "-", "--format", "text", "--lang", "en", stdin=json.dumps(profile))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    by_scenario = _section(out, "Cheapest path per live scenario")
    # e-commerce: a value-added telecom licence (10) and the platform's three documents (1 each)
    assert any("ecommerce: cost 13" in line for line in by_scenario)
    (auto,) = [line for line in by_scenario if " auto: " in line]
    assert "no path" in auto and "Car dealer" in auto  # the reason: a role the subject lacks
    steps = _section(out, "What to get next")
    assert steps and steps[0].lstrip().startswith("1. ")
    for word in ("成本", "缺", "最低成本路径", "各类目"):
        assert word not in out, word


def test_a_contradictory_profile_exits_2_naming_both_fields():
    profile = {
        "subject": {"type": "enterprise", "roles": ["public_school"]},
        "documents": ["training_coop_agreement"],
        "counts": {"training_coop_agreement": 0},
    }
    proc = livegate("evaluate", "-", stdin=json.dumps(profile))
    assert proc.returncode == 2
    assert_clean_failure(proc, "counts.training_coop_agreement", "documents[0]", "subject.roles[0]", "subject.type")


def test_errors_are_english_and_in_chinese_with_lang_zh():
    body = '{"subject": {"type": "enterprize"}, "counts": {"business_license": -2}}'
    english = livegate("evaluate", "-", stdin=body)
    assert english.returncode == 2
    assert english.stderr == "livegate: invalid profile: counts.business_license: must be at least 0\n"
    chinese = livegate("evaluate", "-", "--lang", "zh", stdin=body)
    assert chinese.returncode == 2
    # messages/zh.json: cli.error "livegate：{message}", cli.invalid_profile "画像有误：{field}：{problem}",
    # problem.min "不能小于 {limit}"
    assert chinese.stderr == "livegate：画像有误：counts.business_license：不能小于 0\n"
    unknown = livegate("evaluate", "-", "--lang", "zh", stdin='{"subject": {"type": "enterprize"}}')
    assert (
        unknown.stderr == "livegate：画像有误：subject.type：未知的主体类型 id 'enterprize'；是否想写 'enterprise'？\n"
    )
    missing = livegate("evaluate", "no-such-profile.json", "--lang", "zh")
    assert missing.stderr == "livegate：no-such-profile.json：无法读取：No such file or directory\n"
    assert livegate("evaluate", "no-such-profile.json", "--lang", "en").stderr == (
        "livegate: no-such-profile.json: cannot read: No such file or directory\n"
    )


def test_evaluate_reads_json_from_stdin_and_answers_like_the_engine(engine):
    profile = {
        "subject": {"type": "enterprise"},
        "documents": ["non_commercial_icp_filing"],
        "activities": ["stock_trading"],
        "goal": {"categories": ["finance_stock_info_platform"]},
    }
    proc = livegate("evaluate", "-", stdin=json.dumps(profile))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == engine.evaluate(profile)


def test_evaluate_stdin_text_report_for_a_personal_subject_says_no_route():
    proc = livegate("evaluate", "-", "--format", "text", stdin='{"subject": {"type": "personal"}}')
    assert proc.returncode == 0, proc.stderr
    assert "个人认证的微信小程序暂不支持直播业务" in proc.stdout
    assert "[1]" not in proc.stdout  # no plan is listed


def test_evaluate_file_prints_the_json_response():
    proc = livegate("evaluate", str(EXAMPLES / "bank.json"))
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert "finance_bank" in answer["eligible"]
    assert answer["cheapest"]["cost"] == 0
    assert answer["ruleset"]["digest"].startswith("sha256:")
    assert len(answer["categories"]) == 31


# --- catalogue --------------------------------------------------------------------------------
def test_catalogue_json_lists_everything_the_source_has():
    proc = livegate("catalogue")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data["categories"]) == 31
    assert sum(len(c["alternatives"]) for c in data["categories"]) == 62
    assert len(data["items"]) == 60  # the 征信 filing is one item (docs/source-reading.md)
    assert data["item_aliases"] == {"enterprise_credit_filing_pboc": "enterprise_credit_filing"}
    assert len(data["activities"]) == 8
    assert len(data["roles"]) == 7
    assert len(data["scenarios"]) == 7
    names = {c["name"] for c in data["categories"]}
    assert {"教育-培训机构-职业培训", "教育-培训机构-课外辅导", "电商平台", "社交-直播"} <= names


def _section(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("== ") and title in line)
    body = []
    for line in lines[start + 1 :]:
        if not line.strip() or line.startswith("== "):
            break
        body.append(line)
    return body


def test_catalogue_text_lists_31_categories_62_alternatives_60_items_8_activities_7_roles_7_scenarios():
    proc = livegate("catalogue", "--format", "text", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    categories = _section(out, "Categories")
    assert sum(1 for line in categories if line.startswith("[")) == 31  # [教育-…] in English, 【…】 in Chinese
    assert sum(1 for line in categories if line.startswith("    - ")) == 62
    assert len(_section(out, "Items")) == 60
    assert len(_section(out, "Activities")) == 8
    assert len(_section(out, "Roles")) == 7
    assert len(_section(out, "Scenarios")) == 7


def test_catalogue_text_says_what_the_json_has_and_what_declaring_an_activity_means():
    out = livegate("catalogue", "--format", "text").stdout
    social = out[out.index("【社交-直播】") : out.index("    - av_programme_licence")]
    assert "范围：适用于提供在线直播等服务" in social  # the source's scope sentence, L80
    assert "说明：选择该类目后首次提交代码审核，需经当地互联网主管机关审核确认，预计审核时长7天左右。" in social
    assert "来源：https://developers.weixin.qq.com/miniprogram/product/material/shejiao/zhibo.html" in social
    # a qualified item is named with its qualifier, not as the plain licence
    qualified = "《增值电信业务经营许可证》（核准服务项目包含“在线数据处理与交易处理业务”）"
    assert f"· value_added_telecom_licence_online_data: {qualified}" in out
    # declaring video_cs_other_content means the service covers other content; the source's sentence says the opposite
    (line,) = [x for x in _section(out, "活动") if x.startswith("  video_cs_other_content")]
    assert line.index("视频客服涉及本文其他类目的内容") < line.index(
        "来源第 837 行：“不涉及以上几类内容的一对一视频客服服务"
    )


# --- lint -------------------------------------------------------------------------------------
def test_lint_passes_on_the_shipped_knowledge_base():
    proc = livegate("lint")
    assert proc.returncode == 0, proc.stderr
    assert "lint: ok" in proc.stdout
    assert "31 categories, 62 alternatives, 60 items, 8 activities" in proc.stdout


def test_lint_says_it_in_chinese_with_lang_zh(kb_copy):
    proc = livegate("lint", "--lang", "zh")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("lint：通过 — 31 个类目、62 个资质方案、60 项材料、8 项活动（sha256:")
    (kb_copy / "facts" / "tools.lp").write_text(
        (kb_copy / "facts" / "tools.lp").read_text(encoding="utf-8") + "requires_item(tools_live, x, nowhere).\n",
        encoding="utf-8",
    )
    proc = livegate("--facts", str(kb_copy / "facts"), "--logic", str(kb_copy / "logic"), "lint", "--lang", "zh")
    assert proc.returncode == 1
    assert proc.stderr.startswith("lint：知识库中有 ")


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "facts", tmp_path / "facts")
    shutil.copytree(ROOT / "logic", tmp_path / "logic")
    return tmp_path


def test_lint_passes_on_an_unbroken_copy(kb_copy):
    proc = livegate("--facts", str(kb_copy / "facts"), "--logic", str(kb_copy / "logic"), "lint")
    assert proc.returncode == 0, proc.stderr


BREAKS = [
    pytest.param(
        "finance.lp",
        None,
        "requires_item(finance_bank, financial_licence, ghost_item).\n",
        ["undeclared_item", "ghost_item"],
        id="requires_item_names_an_undeclared_item",
    ),
    pytest.param(
        "finance.lp",
        "category_access(finance_bank, standard_live).",
        "",
        ["no_access", "finance_bank"],
        id="category_without_access",
    ),
    pytest.param(
        "finance.lp",
        "category_scenario(finance_trust, finance).",
        "",
        ["no_scenario", "finance_trust"],
        id="category_without_scenario",
    ),
    pytest.param(
        "catalogue.lp",
        None,
        'item(unused_thing, "《无人要求的证书》", licence).\n',
        ["unused_item", "unused_thing"],
        id="unused_item",
    ),
    pytest.param(
        "auto.lp",
        "reserved_for(auto_presale, dealer, car_dealer).",
        "reserved_for(auto_presale, dealer, car_trader).",
        ["undeclared_role", "car_trader"],
        id="reserved_for_an_undeclared_role",
    ),
    pytest.param("tools.lp", None, 'category(broken_category, "x"\n', ["tools.lp", "syntax error"], id="syntax_error"),
    # facts about an activity or an alternative that is not declared: loading leaves them out, so that
    # lint can name them (it used to stop with a KeyError's traceback)
    pytest.param(
        "tools.lp",
        'activity(video_cs_other_content, tools_video_cs, "'
        '不涉及以上几类内容的一对一视频客服服务，如企业售后一对一视频服务等").',
        "",
        ["undeclared_activity: activity_label(video_cs_other_content)", "activity_effect(video_cs_other_content)"],
        id="label_and_effect_of_an_undeclared_activity",
    ),
    pytest.param(  # answers quote the note with its line (来源第 747 行：“…”)
        "finance.lp",
        "activity_line(stock_trading, 747).",
        "",
        ["no_line: activity(stock_trading)"],
        id="activity_without_its_line",
    ),
    pytest.param(
        "social.lp",
        "note_line(first_review, 67).",
        "",
        ["no_line: category_note(first_review)"],
        id="note_without_its_line",
    ),
    pytest.param(
        "finance.lp",
        'alternative(finance_bank, financial_licence, "1. 《金融许可证》").',
        "",
        ["undeclared_alternative: requires_item(finance_bank,financial_licence,financial_licence)"],
        id="requirement_of_an_undeclared_alternative",
    ),
]


@pytest.mark.parametrize("filename, old, new, fragments", BREAKS)
def test_lint_fails_naming_the_problem_when_a_fact_is_broken(kb_copy, filename, old, new, fragments):
    path = kb_copy / "facts" / filename
    text = path.read_text(encoding="utf-8")
    if old is None:
        text += new
    else:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    proc = livegate("--facts", str(kb_copy / "facts"), "--logic", str(kb_copy / "logic"), "lint")
    assert proc.returncode == 1
    assert_clean_failure(proc, *fragments)
    assert "lint: ok" not in proc.stdout


def test_evaluate_with_a_broken_knowledge_base_fails_cleanly(kb_copy):
    (kb_copy / "facts" / "tools.lp").write_text("category(broken\n", encoding="utf-8")
    proc = livegate(
        "--facts", str(kb_copy / "facts"), "--logic", str(kb_copy / "logic"), "evaluate", str(EXAMPLES / "bank.json")
    )
    assert_clean_failure(proc, "knowledge base")
    assert proc.stdout == ""


# --- errors -----------------------------------------------------------------------------------
def test_missing_file_fails_on_stderr(tmp_path):
    proc = livegate("evaluate", str(tmp_path / "no-such-profile.json"))
    assert_clean_failure(proc, "no-such-profile.json", "cannot read")
    assert proc.stdout == ""


@pytest.mark.parametrize(
    "body, fragments",
    [
        pytest.param('{"subject": {"type": "enterprise"}', ["malformed JSON"], id="malformed_json"),
        pytest.param("", ["malformed JSON"], id="empty_input"),
        pytest.param(
            '{"subject": {"type": "enterprize"}}', ["subject.type", "'enterprise'"], id="unknown_subject_type"
        ),
        pytest.param(
            '{"subject": {"type": "enterprise"}, "documents": ["bussiness_license"]}',
            ["documents[0]", "did you mean", "'business_license'"],
            id="unknown_item_with_nearest",
        ),
        pytest.param(
            '{"subject": {"type": "enterprise", "roles": ["car_dealers"]}}',
            ["subject.roles[0]", "'car_dealer'"],
            id="unknown_role_with_nearest",
        ),
        pytest.param(
            '{"subject": {"type": "enterprise"}, "activities": ["stock_trade"]}',
            ["activities[0]", "'stock_trading'"],
            id="unknown_activity_with_nearest",
        ),
        pytest.param(
            '{"subject": {"type": "enterprise"}, "documents": "business_license"}', ["documents"], id="list_expected"
        ),
        pytest.param(
            '{"subject": {"type": "enterprise"}, "counts": {"training_coop_agreement": "2"}}',
            ["counts.training_coop_agreement"],
            id="number_expected",
        ),
        pytest.param(
            '{"subject": {"type": "enterprise"}, "costs": {"business_license": -1}}',
            ["costs.business_license"],
            id="negative_cost",
        ),
        pytest.param('{"documents": []}', ["subject"], id="missing_subject"),
        pytest.param("[1, 2]", ["JSON object"], id="not_an_object"),
        pytest.param('{"subject": {"type": "enterprise"}, "extra": 1}', ["extra"], id="unknown_field"),
    ],
)
def test_bad_profile_fails_on_stderr_without_traceback(body, fragments):
    proc = livegate("evaluate", "-", stdin=body)
    assert_clean_failure(proc, *fragments)
    assert proc.stdout == ""


# --- help -------------------------------------------------------------------------------------
COMMANDS = ("evaluate", "catalogue", "lint", "batch", "diff", "impact", "serve")
HAN = re.compile(r"[\u4e00-\u9fff]")


def _help(capsys, monkeypatch, *args: str) -> str:
    """What ``livegate ARGS`` prints for ``--help``, on one line per entry (no wrapping)."""
    from livegate.cli import main

    monkeypatch.setenv("COLUMNS", "1000")
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_help_text_is_the_catalogues_in_the_language_asked(capsys, monkeypatch, lang):
    from livegate.words import messages

    pages = [_help(capsys, monkeypatch, "--help", "--lang", lang)]
    pages += [_help(capsys, monkeypatch, command, "--help", "--lang", lang) for command in COMMANDS]
    for page in pages:
        lines = page.splitlines()
        entries = lines[lines.index("") + 1 :]  # after the usage line, argparse's own words
        # an option too long for the first column has its help on the next line, further in: one entry
        entries = re.sub(r"\n(?=\s{6,}\S)", " ", "\n".join(entries)).splitlines()
        for line in entries:
            # every line (description, titles, each argument's help) in the language asked
            assert bool(HAN.search(line)) == (lang == "zh") or not line.strip(), (lang, line)
    # and every help text of the catalogue is shown somewhere (seed: --random's default, filled in)
    shown = re.sub(r"\s+", "", "".join(pages))
    for key, text in messages(lang).items():
        if key.startswith("cli.help."):
            assert re.sub(r"\s+", "", text.replace("{seed}", str(corpus_seed()))) in shown, key


def corpus_seed() -> int:
    from livegate.corpus import SEED

    return SEED


@pytest.mark.parametrize(
    "args",
    [
        ["--lang", "zh", "--help"],
        ["--help", "--lang", "zh"],
        ["--lang=zh", "--help"],
    ],
)
def test_the_command_list_is_in_chinese_with_lang_zh(args):
    proc = livegate(*args)
    assert proc.returncode == 0, proc.stderr
    assert "微信小程序的哪些服务类目可以开通直播" in proc.stdout
    for help_text in ("回答一个画像", "检查知识库", "用 gunicorn 提供 HTTP API 和页面", "显示本帮助并退出"):
        assert help_text in proc.stdout


def test_a_commands_help_follows_its_lang_and_is_english_without_it():
    zh = livegate("evaluate", "--lang", "zh", "--help")
    assert zh.returncode == 0, zh.stderr
    assert "画像：JSON 文件，或用 - 表示标准输入" in zh.stdout and "不输出说明文字" in zh.stdout
    en = livegate("evaluate", "--help")
    assert en.returncode == 0, en.stderr
    assert "the profile: a JSON file, or - for stdin" in en.stdout and not HAN.search(en.stdout)
    # a --lang after "--" is an argument, not the language; a language the catalogue lacks is refused
    assert not HAN.search(livegate("impact", "--help", "--", "--lang", "zh").stdout)
    assert_clean_failure(livegate("lint", "--lang", "fr", "--help"), "--lang", "invalid choice")


def test_lang_before_the_command_is_the_commands_own():
    proc = livegate("--lang", "zh", "lint")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("lint：通过 — 31 个类目")
    # the command's own --lang, given too, is the one that counts
    proc = livegate("--lang", "zh", "lint", "--lang", "en")
    assert proc.stdout.startswith("lint: ok")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["batch", "-", "--workers", "-3"], "argument --workers: must be at least 1, not -3"),
        (["batch", "-", "--workers", "two"], "argument --workers: must be a whole number, not 'two'"),
        (["impact", ".", "--random", "-1"], "argument --random: must be at least 0, not -1"),
        (["impact", ".", "--examples", "-1"], "argument --examples: must be at least 0, not -1"),
        (
            ["evaluate", "-", "--timeout", "0"],
            "argument --timeout: must be a number of seconds above 0 and at most 86400, not '0'",
        ),
        (
            ["evaluate", "-", "--timeout", "-1"],
            "argument --timeout: must be a number of seconds above 0 and at most 86400, not '-1'",
        ),
        (
            ["evaluate", "-", "--timeout", "inf"],
            "argument --timeout: must be a number of seconds above 0 and at most 86400, not 'inf'",
        ),
        (
            ["serve", "--timeout", "86401"],
            "argument --timeout: must be a number of seconds above 0 and at most 86400, not '86401'",
        ),
        (
            ["serve", "--timeout", "-1"],
            "argument --timeout: must be a number of seconds above 0 and at most 86400, not '-1'",
        ),
        (["serve", "--threads", "0"], "argument --threads: must be at least 1, not 0"),
        (["serve", "--port", "99999"], "argument --port: must be a whole number from 0 to 65535, not 99999"),
        (
            ["evaluate", "-", "--timeout", "0", "--lang", "zh"],
            "argument --timeout: 必须是大于 0、不超过 86400 的秒数，不能是 '0'",
        ),
    ],
)
def test_a_number_out_of_range_on_the_command_line_is_refused_naming_the_argument(args, fragment):
    # --workers -3 used to end in a traceback from multiprocessing; --timeout 0 and -1 were taken
    proc = livegate(*args, stdin='{"subject": {"type": "enterprise"}}')
    assert proc.returncode == 2
    assert_clean_failure(proc, fragment)
    assert proc.stdout == ""
