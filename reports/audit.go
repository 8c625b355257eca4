package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/columns"
	"github.com/liaoning-hrss/flexemp/internal/csvsafe"
	"github.com/liaoning-hrss/flexemp/store"
)

// outcomeWords are an audited action's outcomes as people read them.
var outcomeWords = map[string]string{store.AuditOK: "成功", store.AuditRefused: "拒绝", store.AuditError: "出错"}

// OutcomeText is a record's outcome as people read it, with its code.
func OutcomeText(r store.AuditRecord) string {
	if r.Code != "" {
		return outcomeWords[r.Outcome] + "（" + r.Code + "）"
	}
	return outcomeWords[r.Outcome]
}

// roleWords and actionWords are the audit trail's roles and actions as
// people read them; an action not listed (a scheduled job's, an admin
// socket's) reads as its own name after its kind.
var (
	roleWords   = map[string]string{"anonymous": "未登录", "city": "城市", "reviewer": "审核人员", "operator": "操作员", "scheduler": "定时任务"}
	actionWords = map[string]string{"login": "登录", "upload": "上传", "rejects": "下载被拒行", "download": "下载", "report.download": "下载报告",
		"assess": "考核", "publish": "公示", "object": "提出异议", "decide": "处理异议", "finalise": "定稿", "withdraw": "撤回公示",
		"verify": "核验", "token.add": "新增令牌", "token.revoke": "吊销令牌", "token.list": "列出令牌", "backup": "备份",
		"restore": "恢复", "export": "导出"}
	actionKinds = map[string]string{"job.": "定时任务 ", "admin.": "管理命令 "}
)

// RoleText is a role as people read it.
func RoleText(role string) string {
	if w, ok := roleWords[role]; ok {
		return w
	}
	return role
}

// ActionText is an action as people read it.
func ActionText(action string) string {
	if w, ok := actionWords[action]; ok {
		return w
	}
	for prefix, kind := range actionKinds {
		if rest, ok := strings.CutPrefix(action, prefix); ok {
			return kind + rest
		}
	}
	return action
}

// AuditTime is when a record was made, Asia/Shanghai, with the time an
// operator stated for a step taken on paper (--at) beside it.
func AuditTime(r store.AuditRecord) string {
	at := r.At.In(flexemp.Shanghai).Format("2006-01-02 15:04:05")
	if r.StatedAt != nil {
		at += "（记载为 " + r.StatedAt.In(flexemp.Shanghai).Format("2006-01-02 15:04") + "）"
	}
	return at
}

// WriteAudit writes audit records as a table, JSON or CSV (never a token,
// key, ID or file content: the records hold none).
func WriteAudit(w io.Writer, rs []store.AuditRecord, total int, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"total": total, "records": rs})
	case "csv":
		cw := csvsafe.NewWriter(w)
		cw.Write([]string{"seq", "at", "stated_at", "actor", "role", "city", "action", "object", "outcome", "code", "remote", "request_id", "hash"})
		for _, r := range rs {
			stated := ""
			if r.StatedAt != nil {
				stated = r.StatedAt.Format(time.RFC3339)
			}
			cw.Write([]string{strconv.FormatInt(r.Seq, 10), r.At.Format(time.RFC3339), stated, r.Actor, r.Role, r.City, r.Action,
				r.Object, r.Outcome, r.Code, r.Remote, r.RequestID, r.Hash})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := columns.NewWriter(w)
	fmt.Fprintf(tw, "序号\t时间\t操作者\t角色\t城市\t操作\t对象\t结果\t来源\n")
	for _, r := range rs {
		city := r.City
		if city != "" {
			city = cityName(city)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, AuditTime(r), r.Actor, RoleText(r.Role), city, ActionText(r.Action), r.Object, OutcomeText(r), r.Remote)
	}
	fmt.Fprintf(tw, "共 %d 条\n", total)
	return tw.Flush()
}
