package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

// GET /scorecard/{period}/{file}: a city's own scorecard as scorecard.xlsx
// or scorecard.pdf; a reviewer names the city with ?city=.
func (s *Server) scorecardDownload(w http.ResponseWriter, r *http.Request, sess *session) {
	p := sess.principal
	city := p.City
	if p.Role == flexemp.RoleReviewer {
		city = r.FormValue("city")
	}
	period, err := flexemp.ParsePeriod(r.PathValue("period"))
	if err != nil {
		s.pageError(w, r, sess, http.StatusBadRequest, flexemp.ErrorMessage(err))
		return
	}
	if _, ok := flexemp.CityByCode(city); !ok {
		s.pageError(w, r, sess, http.StatusNotFound, "未知的城市代码。")
		return
	}
	e, err := metrics.Explain(r.Context(), s.db, period, city)
	if errors.Is(err, metrics.ErrNotAssessed) {
		s.pageError(w, r, sess, http.StatusNotFound, period.Label()+"尚未考核。")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	own, err := metrics.Integrity(r.Context(), s.db, period, city)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	issued, err := s.issuedEntryOf(r.Context(), city, period)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	state := "草稿（未公示）"
	if issued != nil {
		state = draftLabel
	}
	sc := reports.NewScorecard(e, own, state, s.opt.Now())
	sc.Issued = issued
	var b bytes.Buffer
	file := r.PathValue("file")
	var mediaType string
	switch file {
	case "scorecard.xlsx":
		err, mediaType = sc.XLSX(&b), reports.XLSXType
	case "scorecard.pdf":
		if err = sc.HTML(&b); err == nil {
			var pdf []byte
			pdf, err = reports.PDF(r.Context(), b.Bytes())
			b.Reset()
			b.Write(pdf)
		}
		mediaType = "application/pdf"
	default:
		s.notFound(w, r)
		return
	}
	if err == nil {
		err = s.store.Audit(r.Context(), "report.download", fmt.Sprintf("%s %s %s", period, city, file), nil)
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	sendAttachment(w, mediaType, fmt.Sprintf("记分卡-%s-%s%s", cityName(city), period, file[len("scorecard"):]), b.Bytes())
}

// staleNote tells a city its scorecard predates its own later uploads.
func (s *Server) staleNote(ctx context.Context, city string, run metrics.Stamp) (string, error) {
	var newer int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM uploads WHERE city_code = ? AND received_at > ?`, city, run.CreatedAt).Scan(&newer); err != nil {
		return "", err
	}
	if newer == 0 {
		return "", nil
	}
	return fmt.Sprintf("本市在此次考核（%s）之后又上传了 %d 个文件，结果将在下次考核后更新。", run.CreatedAt.In(flexemp.Shanghai).Format("2006-01-02 15:04"), newer), nil
}
