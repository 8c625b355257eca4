package reports

import (
	"fmt"
	"io"
	"strconv"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/columns"
	"github.com/liaoning-hrss/flexemp/internal/csvsafe"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/store"
)

// The command line's tables: what `rank`, `uploads` and `token list` print.

// WriteRanking writes a ranking as a table under title, or as CSV (format
// "csv": every dimension and indicator, raw values).
func WriteRanking(w io.Writer, r *metrics.Ranking, format, title string) error {
	if format == "csv" {
		cw := csvsafe.NewWriter(w)
		header := []string{"code", "name", "rank", "index", "rank_lo", "rank_hi", "grade", "priority"}
		for _, d := range flexemp.Dimensions {
			header = append(header, string(d))
		}
		cw.Write(append(header, flexemp.IndicatorIDs()...))
		for _, c := range r.Cities {
			rec := []string{c.Code, c.Name, optInt(c.Rank), optFloat(c.Index), "", "", c.Grade, strconv.FormatBool(c.Priority)}
			if c.RankInterval != nil {
				rec[4], rec[5] = strconv.Itoa(c.RankInterval[0]), strconv.Itoa(c.RankInterval[1])
			}
			for _, d := range flexemp.Dimensions {
				rec = append(rec, optFloat(c.Dimensions[d]))
			}
			for _, id := range flexemp.IndicatorIDs() {
				rec = append(rec, optFloat(c.Indicators[id]))
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	}
	tw := columns.NewWriter(w)
	fmt.Fprintf(tw, "%s\n名次\t城市\t指数\t90%%区间\t等次\t优先\n", title)
	for _, c := range r.Cities {
		band, prio := "", ""
		if c.RankInterval != nil {
			band = fmt.Sprintf("%d–%d", c.RankInterval[0], c.RankInterval[1])
		}
		if c.Priority {
			prio = "推荐"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", optInt(c.Rank), c.Name, Fixed(c.Index, 2), band, c.Grade, prio)
	}
	return tw.Flush()
}

func optInt(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func optFloat(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// WriteUploads writes the upload ledger, refused attempts included, as a
// table.
func WriteUploads(w io.Writer, ups []flexemp.Upload) error {
	tw := columns.NewWriter(w)
	fmt.Fprintln(tw, "编号\t城市\t类型\t月份\t版本\t当前\t接收时间\t行数\t接受\t拒绝\t文件")
	for _, u := range ups {
		city, _ := flexemp.CityByCode(u.City)
		cur := ""
		if u.Current {
			cur = "是"
		}
		received := u.ReceivedAt.Format("2006-01-02 15:04:05 -07:00")
		if u.Status == "refused" { // its rows: flexemp rejects --refusal N
			month := "—"
			if !u.Month.IsZero() {
				month = u.Month.String()
			}
			fmt.Fprintf(tw, "拒收%d\t%s\t%s\t%s\t—\t\t%s\t—\t—\t%d处\t%s（%s）\n", u.RefusalID, city.ShortName, u.Kind.Title(), month,
				received, u.Rejects, u.FileName, u.Reason)
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\t%d\t%s\n", u.ID, city.ShortName, u.Kind.Title(), u.Month, u.Version, cur,
			received, u.Rows, u.Accepted, u.Rejected, u.FileName)
	}
	return tw.Flush()
}

// WriteTokens writes who each token is for, when made and revoked; never
// a token, which is not kept.
func WriteTokens(w io.Writer, ts []store.TokenInfo) error {
	tw := columns.NewWriter(w)
	fmt.Fprintln(tw, "编号\t角色\t城市或审核人员\t创建时间\t状态")
	const layout = "2006-01-02 15:04"
	for _, t := range ts {
		role, who := "城市", t.Reviewer
		if t.Role == flexemp.RoleCity {
			who = cityName(t.City)
		} else {
			role = "审核"
		}
		state := "有效"
		if t.Revoked != nil {
			state = "已吊销 " + t.Revoked.In(flexemp.Shanghai).Format(layout)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.ID, role, who, t.Created.In(flexemp.Shanghai).Format(layout), state)
	}
	return tw.Flush()
}
