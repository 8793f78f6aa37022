#!/usr/bin/env python3
"""Writes a follow-up record file (the team's template 3) for bench/import_records.sh.

    python3 bench/gen_records.py ROWS CUSTOMERS OUT.csv

CSV: UTF-8 with BOM and CRLF, the template's Chinese headers. Each row names
one of the first CUSTOMERS customers of bench/gen_customers.py by name (as
客户/联系人), dated over the 400 days before today, with the template's
channel, summary, feedback and next action. Every row is valid and no two
are the same record. Seeded, so runs compare like with like.
"""

import datetime
import random
import sys

HEADERS = ["客户/联系人", "时间", "方式", "摘要", "反馈", "下一步"]
CHANNELS = ["电话", "微信", "邮件", "上门拜访"]
SUMMARIES = ["介绍新品A折扣与质保政策", "邀请参加新品发布会", "发送产品手册与报价", "回访上次试用情况"]
FEEDBACK = ["价格比预期低5%，需确认交期", "有兴趣，需内部确认", "客户对价格有异议，需提供竞品对比方案", "暂无预算"]
NEXT = ["发送交期表并预约签约", "三天后回访", "发送竞品分析报告并预约二次沟通", "下季度再联系"]


def main() -> None:
    rows, customers, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(20251011)
    today = datetime.datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        f.write(",".join(HEADERS) + "\r\n")
        for i in range(rows):
            c = i % customers
            # Distinct per customer: the k-th record of a customer is k minutes past 08:00 on its day.
            k = i // customers
            at = today - datetime.timedelta(days=1 + (k * 7 + c) % 400, minutes=-(8 * 60 + k % 600))
            f.write("快响测试%06d科技有限公司/联系人%d,%s,%s,%s第%d次,%s,%s\r\n" % (
                c, c, at.strftime("%Y-%m-%d %H:%M"), rnd.choice(CHANNELS), rnd.choice(SUMMARIES), k + 1,
                rnd.choice(FEEDBACK), rnd.choice(NEXT)))


if __name__ == "__main__":
    main()
