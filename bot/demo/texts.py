"""What the sample district's cadres write: work items by unit and role, put together into
daily logs and quarterly summaries that read like a real township's or bureau's."""

from __future__ import annotations

import random

_ITEMS: dict[str, dict[str, tuple[str, ...]]] = {
    "城关镇": {
        "leader": (
            "主持召开党委会研究冬季安全生产工作",
            "带队检查辖区燃气使用安全",
            "调度老旧小区改造项目进度",
            "接待来访群众并协调解决拆迁补偿问题",
            "参加区里重点项目推进会并汇报我镇进展",
            "到东关村调研集体经济发展",
            "督导秸秆禁烧和河道保洁工作",
            "听取各办所本周重点工作汇报",
        ),
        "staff": (
            "整理党委会会议纪要并报送党政办",
            "入户走访低保户核对家庭收入情况",
            "录入第四季度困难群众救助台账",
            "配合开展辖区企业安全生产检查",
            "核对农业补贴发放名册",
            "到西街社区排查矛盾纠纷",
            "起草镇政府年度工作总结初稿",
            "协助组织退役军人座谈会",
            "更新综治网格员信息台账",
            "审核本月财政资金支付凭证",
            "检查在建农房质量安全",
            "整理惠民资金公示材料",
        ),
    },
    "区发展和改革局": {
        "leader": (
            "主持局务会研究明年重点项目储备",
            "带队赴市发改委对接专项债券申报",
            "调度重点项目前期手续办理进度",
            "审定价格监测分析报告",
            "参加区政府常务会汇报投资运行情况",
            "听取各科室月度工作汇报",
        ),
        "staff": (
            "汇总重点项目投资完成情况",
            "核对专项债券项目申报材料",
            "起草本月经济运行分析报告",
            "开展农产品价格监测并上报数据",
            "审核两个企业投资项目备案",
            "整理节能审查材料",
            "对接市局做好能源消费统计",
            "到开发区调研项目建设进度",
            "更新项目储备库信息",
            "办理局办公室公文收发",
            "校核年度投资计划表",
        ),
    },
    "团区委": {
        "leader": (
            "主持召开团区委班子会",
            "带队走访辖区青年创业园",
            "部署青年志愿者冬季关爱行动",
            "参加区委组织部青年干部座谈会",
        ),
        "staff": (
            "整理团员发展材料",
            "组织志愿者到敬老院开展服务",
            "更新智慧团建系统团员信息",
            "筹备青年大学习推进会",
            "联系学校开展防溺水宣传",
            "统计各基层团组织团费收缴情况",
        ),
    },
}

_SUMMARY_NEXT = (
    "下一步将继续抓好重点工作落实，补齐短板",
    "下一步将对标先进查找差距，争取更好成绩",
    "下一步将进一步改进工作方法，提高办事效率",
)


def _items(unit: str, role: str) -> tuple[str, ...]:
    items = _ITEMS.get(unit, _ITEMS["城关镇"])
    return items["leader"] if role in ("main_leader", "leadership") else items["staff"]


def daily_log(rng: random.Random, unit: str, role: str) -> str:
    """About 30–50 characters: what a cadre did in the morning and the afternoon."""
    morning, afternoon = rng.sample(_items(unit, role), 2)
    return f"上午{morning}，下午{afternoon}。"


def quarter_summary(rng: random.Random, unit: str, role: str, label: str) -> str:
    """A 季度小结 of 150–200 characters built from the cadre's usual work."""
    first, second, third = rng.sample(_items(unit, role), 3)
    return (
        f"{label}，本人认真履行岗位职责，较好完成了各项工作任务。一是{first}，做到底数清、情况明；"
        f"二是{second}，及时发现并解决问题；三是{third}，按时保质完成上级交办事项。"
        f"同时坚持学习政策业务，遵守工作纪律。{rng.choice(_SUMMARY_NEXT)}。"
    )


def year_summary(rng: random.Random, unit: str, role: str, label: str) -> str:
    """A 年度总结 of about 250 characters: two quarters' worth of work and a look ahead."""
    return (
        quarter_summary(rng, unit, role, label)
        + "全年坚持每个工作日记载工作日志，主动接受同事和领导监督，在比学赶超中找差距、补短板。"
        + "新的一年将围绕单位中心工作，把实绩晒在平时、把功夫下在日常。"
    )
