package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
)

// POST /api/v1/uploads: multipart kind, month, file; answers SPEC's ingest
// JSON object.
func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	res, err := s.receive(w, r, p, nil)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, uploadStatus(res), res)
}

func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	var ur *uploadRefusal
	switch {
	case errors.As(err, &ur):
		writeAPIError(w, ur.status, ur.code, ur.message)
	case errors.Is(err, metrics.ErrNotAssessed):
		writeAPIError(w, http.StatusNotFound, "not_found", "该考核期尚未考核")
	case flexemp.ErrorCode(err) != flexemp.EINTERNAL:
		writeAPIError(w, statusOf(err), flexemp.ErrorCode(err), flexemp.ErrorMessage(err))
	default:
		s.internal(w, r, err)
	}
}

// forbidden is the answer to another city's resource.
func forbidden(w http.ResponseWriter) {
	writeAPIError(w, http.StatusForbidden, "forbidden", "无权访问其他城市的数据")
}

// GET /api/v1/uploads?city=&kind=&month=&status=&q=: the ledger with the
// refused attempts, filtered as the uploads page is; a city token sees its
// own city only.
func (s *Server) apiUploads(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	f, err := uploadFilter(r)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, flexemp.EINVALID, err.Error())
		return
	}
	if p.Role == flexemp.RoleCity {
		if f.City == "" {
			f.City = p.City
		}
		if f.City != p.City {
			forbidden(w)
			return
		}
	}
	f.Refused = true
	ups, _, err := ingest.FindUploads(r.Context(), s.db, f)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ups)
}

// uploadCity finds an upload's city; not found is ENOTFOUND.
func (s *Server) uploadCity(ctx context.Context, idText string) (int64, string, error) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return 0, "", flexemp.Errorf(flexemp.ENOTFOUND, "没有这个上传记录")
	}
	city, err := ingest.UploadCity(ctx, s.db, id)
	return id, city, err
}

type rejectJSON struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Value  string `json:"value"` // IDs masked
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// rejectsOf reads the rejects the path names: of upload {id}, or, under
// /refusals/, of refused file {id}, when the principal may see them. An
// unknown or malformed ID is ENOTFOUND, and so is another city's: answering
// otherwise would tell which IDs exist.
func (s *Server) rejectsOf(r *http.Request, p flexemp.Principal) (flexemp.Upload, []flexemp.Reject, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return flexemp.Upload{}, nil, flexemp.Errorf(flexemp.ENOTFOUND, "没有这个上传记录")
	}
	var u flexemp.Upload
	var rs []flexemp.Reject
	refusal := strings.Contains(r.URL.Path, "/refusals/")
	if refusal {
		u, rs, err = ingest.RefusalRejects(r.Context(), s.db, id)
	} else if u, err = ingest.UploadByID(r.Context(), s.db, id); err == nil {
		rs, err = ingest.Rejects(r.Context(), s.db, id)
	}
	switch {
	case err != nil:
		return u, nil, err
	case !p.CanRead(u.City) && refusal:
		return flexemp.Upload{}, nil, ingest.NoRefusal(id)
	case !p.CanRead(u.City):
		return flexemp.Upload{}, nil, ingest.NoUpload(id)
	}
	object := fmt.Sprintf("upload %d", id)
	if refusal {
		object = fmt.Sprintf("refusal %d", id)
	}
	return u, rs, s.store.Audit(r.Context(), "rejects", object, nil)
}

// GET /api/v1/uploads/{id}/rejects and GET /api/v1/refusals/{id}/rejects
func (s *Server) apiRejects(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	_, rs, err := s.rejectsOf(r, p)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	out := []rejectJSON{}
	for _, x := range rs {
		out = append(out, rejectJSON{x.Row, x.Column, x.Value, x.Code, x.Reason})
	}
	writeJSON(w, http.StatusOK, out)
}

func periodOf(w http.ResponseWriter, r *http.Request) (flexemp.Period, bool) {
	p, err := flexemp.ParsePeriod(r.PathValue("period"))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "invalid", flexemp.ErrorMessage(err))
		return p, false
	}
	return p, true
}

// indicatorJSON is one declared indicator as the API describes it.
type indicatorJSON struct {
	ID        string   `json:"id"`
	Dimension string   `json:"dimension"`
	Title     string   `json:"title"`
	Measures  []int    `json:"measures"`
	Unit      string   `json:"unit"` // share (a fraction), per_capita (per scale residents) or ratio
	Scale     float64  `json:"scale"`
	Sources   []string `json:"sources"`
	Weight    float64  `json:"weight"` // default weight within its dimension
}

// GET /api/v1/indicators: the declaration of the indicators, for anyone
// with a token.
func (s *Server) apiIndicators(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	out := []indicatorJSON{}
	for _, ind := range flexemp.Indicators {
		j := indicatorJSON{ID: ind.ID, Dimension: string(ind.Dimension), Title: ind.Title, Measures: ind.Measures,
			Unit: ind.Unit.String(), Scale: ind.Scale, Weight: ind.Weight}
		for _, k := range ind.Sources {
			j.Sources = append(j.Sources, string(k))
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /api/v1/rankings/{period}: SPEC's rank JSON, the issued one when
// there is one (shownRanking): a city token sees the province table and
// its own entry, or of a draft its own entry only.
func (s *Server) apiRanking(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	period, ok := periodOf(w, r)
	if !ok {
		return
	}
	rk, err := s.shownRanking(r.Context(), period, p)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rk)
}

func visibleRanking(pr *metrics.PeriodResult, p flexemp.Principal) metrics.Ranking {
	rk := pr.Ranking()
	if p.Role == flexemp.RoleReviewer {
		return rk
	}
	own := rk.Cities[:0:0]
	for _, c := range rk.Cities {
		if c.Code == p.City {
			own = append(own, c)
		}
	}
	rk.Cities = own
	return rk
}

// cityPeriod reads a city route's {code} and {period}: a city token reads
// its own city only, and learns nothing of another (not even whether the
// code is a city).
func cityPeriod(w http.ResponseWriter, r *http.Request, p flexemp.Principal) (string, flexemp.Period, bool) {
	code := r.PathValue("code")
	if !p.CanRead(code) {
		forbidden(w)
		return "", flexemp.Period{}, false
	}
	period, ok := periodOf(w, r)
	if !ok {
		return "", period, false
	}
	if _, known := flexemp.CityByCode(code); !known {
		writeAPIError(w, http.StatusNotFound, "not_found", "未知的城市代码")
		return "", period, false
	}
	return code, period, true
}

// GET /api/v1/cities/{code}/counties/{period}: the city's counties side by
// side (SPEC "Counties"), never ranked.
func (s *Server) apiCounties(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	code, period, ok := cityPeriod(w, r, p)
	if !ok {
		return
	}
	cc, err := metrics.Counties(r.Context(), s.db, period, code)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cc)
}

// GET /api/v1/cities/{code}/scorecard/{period}: the city's explanation.
func (s *Server) apiScorecard(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	code, period, ok := cityPeriod(w, r, p)
	if !ok {
		return
	}
	e, err := metrics.Explain(r.Context(), s.db, period, code)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	if p.Role != flexemp.RoleReviewer {
		// A city sees nothing of another: not the leader, not the gaps to it.
		e.Leader, e.Gaps = nil, nil
	}
	// The versions of the city the scorecard is of, not the province's.
	if e.Run.UploadIDs, err = s.cityUploads(r.Context(), code, e.Run.UploadIDs); err != nil {
		s.internal(w, r, err)
		return
	}
	cur, rk, c, err := issuing.Entry(r.Context(), s.db, period, code)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	if c != nil {
		e.Issued = &metrics.IssuedCity{State: rk.State, Edition: cur.Edition, SHA256: rk.SHA256, City: *c}
	}
	writeJSON(w, http.StatusOK, e)
}

// cityUploads are those of ids that are a city's uploads, in order.
func (s *Server) cityUploads(ctx context.Context, city string, ids []int64) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT upload_id FROM uploads WHERE city_code = ?`, city)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	own := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		own[id] = true
	}
	out := []int64{}
	for _, id := range ids {
		if own[id] {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// assessed is the answer to an assessment request.
type assessed struct {
	Period      string  `json:"period"`
	RunID       int64   `json:"run_id"`
	ConfigHash  string  `json:"config_hash"`
	Ranked      int     `json:"ranked"`
	Seconds     float64 `json:"seconds"`
	Transform   float64 `json:"transform_seconds"`
	Sensitivity float64 `json:"sensitivity_seconds"`
}

// POST /api/v1/assess/{period}: reviewers only.
func (s *Server) apiAssess(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	if p.Role != flexemp.RoleReviewer {
		writeAPIError(w, http.StatusForbidden, "forbidden", "只有审核账号可以发起考核")
		return
	}
	period, ok := periodOf(w, r)
	if !ok {
		return
	}
	start := time.Now()
	a, err := s.store.Assess(r.Context(), period, flexemp.DateOf(s.opt.Now()))
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	pr, err := metrics.Load(r.Context(), s.db, period)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	ranked := 0
	for _, c := range pr.Cities {
		if c.Ranked {
			ranked++
		}
	}
	writeJSON(w, http.StatusOK, assessed{Period: period.String(), RunID: pr.Run.ID, ConfigHash: pr.Run.ConfigHash, Ranked: ranked,
		Seconds: time.Since(start).Seconds(), Transform: a.Transform.Took.Seconds(), Sensitivity: a.SensTook.Seconds()})
}
