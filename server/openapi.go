package server

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

// apiRoute is one route of /api/v1 as the mux serves it and the OpenAPI
// document (GET /api/v1/openapi.json) describes it: one declaration, so
// the two cannot drift. Answers are described by the Go types the
// handlers encode; the tests validate every request and answer against
// the document.
type apiRoute struct {
	method, path   string
	id             string // operationId
	summary        string // what it does, in Chinese
	description    string // who may call it, what each refusal means
	query, form    []apiField
	multipart      bool // form is multipart/form-data, else application/x-www-form-urlencoded
	status         int  // the success status
	answer         any  // a value of the success answer's type; nil: a file
	fails          []int
	refusedResults []int // statuses that answer a refused file's ingest result, or an error
	public         bool  // no token
	serve          func(*Server, http.ResponseWriter, *http.Request, flexemp.Principal)
}

// apiField is a query parameter or a form field.
type apiField struct {
	name, desc string
	required   bool
	file       bool
	array      bool
	enum       []string
}

var (
	fPeriod = apiField{name: "period", desc: "考核期：年度 2025 或季度 2025Q2", required: true}
	fKind   = apiField{name: "kind", desc: "数据类型", enum: kindNames()}
	fMonth  = apiField{name: "month", desc: "数据月份 YYYY-MM；不填时按文件名或数据行"}
)

func kindNames() []string {
	var out []string
	for _, k := range flexemp.Kinds {
		out = append(out, string(k))
	}
	return out
}

// issuingStep is a reviewer's step (publish, withdraw, finalise) as a
// route's handler.
func issuingStep(step func(*Server, context.Context, flexemp.Period, *http.Request) error) func(*Server, http.ResponseWriter, *http.Request, flexemp.Principal) {
	return func(s *Server, w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
		s.reviewerStep(func(ctx context.Context, period flexemp.Period, r *http.Request) error {
			return step(s, ctx, period, r)
		})(w, r, p)
	}
}

// handler is the route's handler on s: behind the token check unless
// public.
func (rt apiRoute) handler(s *Server) http.HandlerFunc {
	h := func(w http.ResponseWriter, r *http.Request, p flexemp.Principal) { rt.serve(s, w, r, p) }
	if rt.public {
		return func(w http.ResponseWriter, r *http.Request) { h(w, r, flexemp.Principal{}) }
	}
	return s.api(h)
}

// apiRoutes are every /api/v1 route.
var apiRoutes = []apiRoute{
	{method: "POST", path: "/api/v1/uploads", id: "upload", summary: "上传一个月的数据文件（城市令牌）",
		description: "以 multipart/form-data 提交 kind、month（可不填）与 file。200：已入库或与当前版本相同（status 为 accepted 或 unchanged）；" +
			"文件被拒收时答复入库结果（status 为 refused，error 为原因）：409 只有表头的文件将替换已有数据（确认后以 confirm_empty=1 重传），413 文件或解压后过大，415 不是支持的文件，422 内容不合格；" +
			"400 表单有误，403 审核令牌不能上传，429 本市同时上传的文件过多。",
		form: []apiField{{name: "kind", desc: "数据类型", required: true, enum: kindNames()}, fMonth,
			{name: "file", desc: "CSV（UTF-8 或 GBK）、XLSX 或 Parquet", required: true, file: true},
			{name: "confirm_empty", desc: "1：确认以只有表头的文件替换该月数据", enum: []string{"1", "true", "on"}}},
		multipart: true, status: 200, answer: ingest.Result{}, fails: []int{400, 403, 429}, refusedResults: []int{409, 413, 415, 422},
		serve: (*Server).apiUpload},
	{method: "GET", path: "/api/v1/uploads", id: "listUploads", summary: "上传记录（含被拒收的文件）",
		description: "城市令牌只能查看本市的记录。被拒收的文件没有 upload_id。",
		query: []apiField{{name: "city", desc: "城市代码或名称"}, fKind, {name: "month", desc: "数据月份 YYYY-MM"},
			{name: "status", desc: "current（计入考核的版本）、accepted（已入库）或 refused（被拒收）", enum: []string{"current", "accepted", "refused"}},
			{name: "q", desc: "文件名中的文字"}},
		status: 200, answer: []flexemp.Upload{}, fails: []int{400, 403},
		serve: (*Server).apiUploads},
	{method: "GET", path: "/api/v1/uploads/{id}/rejects", id: "uploadRejects", summary: "某次上传的被拒行（身份证号已遮盖）",
		description: "404：没有这个上传，或它属于其他城市。", status: 200, answer: []rejectJSON{}, fails: []int{404},
		serve: (*Server).apiRejects},
	{method: "GET", path: "/api/v1/refusals/{id}/rejects", id: "refusalRejects", summary: "某个被拒收文件的被拒行",
		description: "404：没有这个被拒收的文件，或它属于其他城市。", status: 200, answer: []rejectJSON{}, fails: []int{404},
		serve: (*Server).apiRejects},
	{method: "GET", path: "/api/v1/indicators", id: "indicators", summary: "考核指标的定义", status: 200, answer: []indicatorJSON{},
		serve: (*Server).apiIndicators},
	{method: "GET", path: "/api/v1/rankings/{period}", id: "ranking", summary: "某一期的排名",
		description: "有定稿时为定稿，否则公示稿，否则最新草稿。城市令牌看到已发布的全省排名表和本市的完整条目；草稿只看到本市条目。404：尚未考核。",
		status:      200, answer: metrics.Ranking{}, fails: []int{400, 404},
		serve: (*Server).apiRanking},
	{method: "GET", path: "/api/v1/integrity/{period}", id: "integrity", summary: "某一期的数据核查结果及依据",
		description: "城市令牌只看到本市的结果（涉及外市的依据显示为外市）。404：尚未考核。",
		status:      200, answer: reports.PeriodFindings{}, fails: []int{400, 404},
		serve: (*Server).apiIntegrity},
	{method: "GET", path: "/api/v1/cities/{code}/scorecard/{period}", id: "scorecard", summary: "某城市某一期的逐步说明",
		description: "城市令牌只能查看本市（403），且不含第1名及差距。issued 为现行公示稿或定稿中该市的结果（以此为准），尚未公示时没有该项；其余为最新草稿的逐步说明。404：尚未考核或未知的城市代码。",
		status:      200, answer: metrics.Explanation{}, fails: []int{400, 403, 404},
		serve: (*Server).apiScorecard},
	{method: "GET", path: "/api/v1/cities/{code}/counties/{period}", id: "counties", summary: "某城市各区县的指标（不参与排名）",
		description: "城市令牌只能查看本市（403）。404：尚未考核或未知的城市代码。",
		status:      200, answer: metrics.CityCounties{}, fails: []int{400, 403, 404},
		serve: (*Server).apiCounties},
	{method: "POST", path: "/api/v1/assess/{period}", id: "assess", summary: "考核某一期（审核令牌）",
		description: "403：城市令牌；422：尚无到期月份或数据不足以考核。", status: 200, answer: assessed{}, fails: []int{400, 403, 404, 409, 422},
		serve: (*Server).apiAssess},
	{method: "GET", path: "/api/v1/publications/{period}", id: "publication", summary: "某一期排名的发布状态",
		description: "草稿、公示（含异议期）或定稿，各版次及文件的 SHA-256；城市令牌看到的异议计数只含本市。",
		status:      200, answer: publicationJSON{}, fails: []int{400},
		serve: (*Server).apiPublication},
	{method: "GET", path: "/api/v1/publications/{period}/files/{state}/{name}", id: "issuedFile", summary: "下载已发布的文件（与所存逐字节相同）",
		description: "任何令牌都可下载本期现行公示稿（state=published）或其定稿（state=final）的文件，公示期内和之后均可；name 为 GET /api/v1/publications/{period} 中 hashes[state] 的键。" +
			"下载后可用 sha256sum 文件名 与该处及通知邮件中的 SHA-256 核对。404：没有公示或定稿，或没有该文件。",
		status: 200, fails: []int{400, 404},
		serve: (*Server).apiIssuedFile},
	{method: "POST", path: "/api/v1/publications/{period}", id: "publish", summary: "公示最新草稿（审核令牌）",
		description: "409：已有公示中的排名、草稿已过时或考核期尚未结束；定稿后重新公示须给出 reason。",
		form:        []apiField{{name: "days", desc: "异议期工作日数（默认 5）"}, {name: "reason", desc: "修订理由（定稿后重新公示时必填）"}},
		status:      200, answer: publicationJSON{}, fails: []int{400, 403, 404, 409, 422},
		serve: issuingStep((*Server).publish)},
	{method: "POST", path: "/api/v1/publications/{period}/withdraw", id: "withdraw", summary: "撤回公示（审核令牌，须说明理由）",
		form: []apiField{{name: "reason", desc: "撤回理由", required: true}}, status: 200, answer: publicationJSON{}, fails: []int{400, 403, 404, 409, 422},
		serve: issuingStep((*Server).withdraw)},
	{method: "POST", path: "/api/v1/publications/{period}/final", id: "finalise", summary: "定稿（审核令牌）",
		description: "409：异议期未结束或仍有未处理的异议。", status: 200, answer: publicationJSON{}, fails: []int{400, 403, 404, 409, 422},
		serve: issuingStep((*Server).finalise)},
	{method: "POST", path: "/api/v1/objections", id: "object", summary: "对公示排名提出异议（城市令牌）",
		description: "异议期内提交；可附一个月的更正数据（kind、month、file，按上传同样校验）和至多 5 份证明材料（PDF、JPG、PNG、XLSX，每份不超过 20 MiB）。" +
			"409：不在异议期内；422：事项或陈述不合格（陈述超过 2000 字等），或更正数据被拒收、与现行版本相同；415：证明材料不是 PDF、JPG、PNG 或 XLSX（按内容判断）；413：文件过大（证明材料超过 20 MiB 或上传超过上限）。",
		form: []apiField{fPeriod, {name: "subject", desc: "异议事项：I1–I22、K1–K12 或 其他（可重复）", required: true, array: true},
			{name: "statement", desc: "异议陈述，不超过 2000 字", required: true}, fKind, fMonth,
			{name: "file", desc: "更正数据文件", file: true}, {name: "document", desc: "证明材料（可重复）", file: true, array: true}},
		multipart: true, status: 201, answer: issuing.Objection{}, fails: []int{400, 403, 404, 409, 413, 415, 422, 429},
		serve: (*Server).apiObject},
	{method: "GET", path: "/api/v1/objections", id: "objections", summary: "某一期的异议及处理结果",
		description: "城市令牌只看到本市的异议。", query: []apiField{fPeriod}, status: 200, answer: []issuing.Objection{}, fails: []int{400},
		serve: (*Server).apiObjections},
	{method: "POST", path: "/api/v1/objections/{id}/decision", id: "decide", summary: "处理异议（审核令牌）",
		form: []apiField{{name: "decision", desc: "accept（采纳）或 reject（不予采纳）", required: true, enum: []string{"accept", "reject", issuing.Accept, issuing.Reject}},
			{name: "reason", desc: "处理理由", required: true}},
		status: 200, answer: issuing.Objection{}, fails: []int{400, 403, 404, 409, 422},
		serve: (*Server).apiDecide},
	{method: "GET", path: "/api/v1/objections/{id}/preview", id: "previewObjection", summary: "预览异议更正数据的影响（审核令牌）",
		description: "处理前查看更正数据与其所更正版本相比新增、删除、改动的行（月报为各项统计数的前后值），以及按定稿口径计算的该市指标与指数（不含与含该更正）；不保存任何结果。" +
			"403：城市令牌；404：没有该异议或异议未附更正数据。",
		status: 200, answer: issuing.Preview{}, fails: []int{403, 404},
		serve: (*Server).apiPreview},
	{method: "GET", path: "/api/v1/dispatch/{year}", id: "dispatch", summary: "某年各市目标任务的完成率、时序进度、状态与全年预测（调度）",
		description: "截至 as_of（默认今天）已到报送截止时间的月份。审核令牌看到各市与区域小计；城市令牌只看到本市一行、本市的报送提示、全省合计与已发出的调度通报（通报所列各市完成率与状态）。" +
			"400：年度或日期有误；404：该年尚无调度目标；422：截至日期晚于今天，或尚无到期月份。",
		query:  []apiField{{name: "as_of", desc: "截至日期 YYYY-MM-DD（默认北京时间今天）"}},
		status: 200, answer: dispatchJSON{}, fails: []int{400, 404, 422},
		serve: (*Server).apiDispatch},
	{method: "GET", path: "/api/v1/objections/{id}/documents/{n}", id: "document", summary: "下载异议的证明材料",
		description: "只有提出异议的城市和审核人员可以下载（其他城市 404）。", status: 200, fails: []int{404},
		serve: (*Server).apiDocument},
}

func init() {
	// The document's own route, added here: the document is made from the
	// table it is in.
	apiRoutes = append(apiRoutes, apiRoute{method: "GET", path: "/api/v1/openapi.json", id: "openapi", summary: "本接口的 OpenAPI 3 文档（无需令牌）",
		public: true, status: 200, answer: map[string]any{},
		serve: func(_ *Server, w http.ResponseWriter, r *http.Request, _ flexemp.Principal) { serveOpenAPI(w, r) }})
}

// OpenAPI is the document of every /api/v1 route, made once from
// apiRoutes and the answers' Go types.
func OpenAPI() (*openapi3.T, error) {
	openapiOnce.Do(func() { openapiDoc, openapiErr = buildOpenAPI() })
	return openapiDoc, openapiErr
}

var (
	openapiOnce sync.Once
	openapiDoc  *openapi3.T
	openapiErr  error
)

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	doc, err := OpenAPI()
	if err != nil {
		http.Error(w, "接口文档生成失败", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	encodeJSON(w, http.StatusOK, doc) // the document is written as the OpenAPI library makes it
}

var textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()

// strictSchemas is the schema of the answers' Go types as the API writes
// them (writeJSON): a type with MarshalText is a string, a struct has no
// other property (so an answer with a field nobody documented fails the
// tests), and a list or a map is never null (an empty one is [] or {}).
func strictSchemas(name string, t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
	switch {
	case t == reflect.TypeFor[time.Time]():
		schema.Format = "date-time" // RFC 3339 with +08:00 (writeJSON)
	case t == reflect.TypeFor[flexemp.Date]() || t == reflect.TypeFor[*flexemp.Date]():
		*schema = openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "date", Nullable: schema.Nullable, Properties: openapi3.Schemas{}}
	case t.Implements(textMarshaler):
		// Properties, empty, make the generator keep it as a component.
		*schema = openapi3.Schema{Type: &openapi3.Types{"string"}, Nullable: schema.Nullable, Properties: openapi3.Schemas{}}
	case t.Kind() == reflect.Array || t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Array:
		// A fixed-length array (a rank interval [lo, hi]): the generator
		// leaves it untyped.
		a := t
		if a.Kind() == reflect.Pointer {
			a = a.Elem()
		}
		n := uint64(a.Len())
		items := openapi3.NewIntegerSchema()
		if k := a.Elem().Kind(); k == reflect.Float64 || k == reflect.Float32 {
			items = openapi3.NewFloat64Schema()
		}
		schema.Type, schema.Items, schema.MinItems, schema.MaxItems = &openapi3.Types{"array"}, items.NewRef(), n, &n
	case t.Kind() == reflect.Struct && schema.Type.Is("object"):
		no := false
		schema.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
		schema.Required = alwaysWritten(t)
	}
	if strings.Contains(tag.Get("json"), "omitzero") && t.Kind() == reflect.Struct {
		schema.Nullable = true
	}
	return nil
}

func buildOpenAPI() (*openapi3.T, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Servers: openapi3.Servers{{URL: "/", Description: "本系统（接口与页面同一地址，如 https://flexemp.hrss.ln.gov.cn/）"}},
		Info: &openapi3.Info{Title: "flexemp：灵活就业政策落实考核接口", Version: "v1",
			License: &openapi3.License{Name: "辽宁省人力资源和社会保障厅内部使用", URL: "/help"},
			Description: "城市上传月度数据、查询上传记录与被拒行；审核人员考核、发布排名、处理异议。除本文档外，每个请求须带 Authorization: Bearer 令牌。" +
				"出错时答复 {\"code\", \"message\"}：code 为 invalid、unauthorized、forbidden、not_found、conflict、too_large、unsupported、too_many_requests 或 internal，message 为中文原因。"},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas: openapi3.Schemas{},
			SecuritySchemes: openapi3.SecuritySchemes{"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().
				WithType("http").WithScheme("bearer").WithDescription("管理员用 flexemp token add 发放的令牌")}},
			Responses: openapi3.ResponseBodies{},
		},
	}
	// A generator a type: one keeps, from a call before, references to
	// components it then leaves out.
	types := map[string]reflect.Type{} // each component's Go type
	schemaOf := func(v any) (*openapi3.SchemaRef, error) {
		return openapi3gen.NewGenerator(openapi3gen.SchemaCustomizer(strictSchemas), openapi3gen.UseAllExportedFields(),
			openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true, ExportTopLevelSchema: true}),
			openapi3gen.CreateTypeNameGenerator(func(t reflect.Type) string {
				name := schemaName(t)
				types[name] = t
				return name
			})).NewSchemaRefForValue(v, doc.Components.Schemas)
	}
	errRef, err := schemaOf(apiError{})
	if err != nil {
		return nil, err
	}
	for _, rt := range apiRoutes {
		op := &openapi3.Operation{OperationID: rt.id, Summary: rt.summary, Description: rt.description, Responses: openapi3.NewResponses()}
		op.Security = &openapi3.SecurityRequirements{} // none: the document itself
		if !rt.public {
			op.Security = &openapi3.SecurityRequirements{{"bearer": {}}}
		}
		for _, seg := range strings.Split(rt.path, "/") {
			if name, ok := strings.CutPrefix(seg, "{"); ok {
				name = strings.TrimSuffix(name, "}")
				op.AddParameter(openapi3.NewPathParameter(name).WithSchema(openapi3.NewStringSchema()).WithDescription(pathParamDesc[name]))
			}
		}
		for _, f := range rt.query {
			p := openapi3.NewQueryParameter(f.name).WithSchema(fieldSchema(f)).WithDescription(f.desc)
			p.Required = f.required
			op.AddParameter(p)
		}
		if len(rt.form) > 0 {
			body := openapi3.NewObjectSchema()
			for _, f := range rt.form {
				body.WithProperty(f.name, fieldSchema(f))
				if f.required {
					body.Required = append(body.Required, f.name)
				}
			}
			media := "application/x-www-form-urlencoded"
			if rt.multipart {
				media = "multipart/form-data"
			}
			rb := openapi3.NewRequestBody().WithContent(openapi3.Content{media: openapi3.NewMediaType().WithSchema(body)})
			rb.Required = rt.multipart
			op.RequestBody = &openapi3.RequestBodyRef{Value: rb}
		}
		ok := openapi3.NewResponse().WithDescription(statusText[rt.status])
		var answerRef *openapi3.SchemaRef
		if rt.answer == nil {
			ok.WithContent(openapi3.Content{"*/*": openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema().WithFormat("binary"))})
		} else {
			if answerRef, err = schemaOf(rt.answer); err != nil {
				return nil, fmt.Errorf("%s %s: %w", rt.method, rt.path, err)
			}
			ok.WithJSONSchemaRef(answerRef)
		}
		op.AddResponse(rt.status, ok)
		fails := rt.fails
		if !rt.public {
			fails = append(slices.Clone(fails), 401, 500)
		}
		for _, st := range fails {
			op.AddResponse(st, openapi3.NewResponse().WithDescription(statusText[st]+"（错误对象）").WithJSONSchemaRef(errRef))
		}
		if len(fails)+len(rt.refusedResults) == 0 {
			// The document's own route refuses nothing of its own; a proxy
			// or the server's limits may still answer a client error.
			op.Responses.Set("4XX", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("客户端错误（错误对象）").WithJSONSchemaRef(errRef)})
		}
		for _, st := range rt.refusedResults {
			either := &openapi3.Schema{OneOf: openapi3.SchemaRefs{answerRef, errRef}}
			op.AddResponse(st, openapi3.NewResponse().WithDescription(statusText[st]+"：文件被拒收（入库结果）或请求有误（错误对象）").
				WithJSONSchema(either))
		}
		doc.AddOperation(rt.path, rt.method, op)
	}
	nullableRefs(doc.Components.Schemas, types)
	typedNullables(doc.Components.Schemas)
	// Read back as a client reads it: references resolved, and checked.
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	loaded, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, err
	}
	return loaded, loaded.Validate(context.Background())
}

// alwaysWritten are the JSON names of a struct's fields encoding/json
// always writes: those without omitempty or omitzero.
func alwaysWritten(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case !f.IsExported() || name == "-":
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			out = append(out, alwaysWritten(f.Type)...)
		case !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero"):
			if name == "" {
				name = f.Name
			}
			out = append(out, name)
		}
	}
	return out
}

// nullableRefs marks the properties that are pointers to a component as
// nullable: a $ref can carry nothing beside it, so the reference is wrapped
// in allOf. (The generator drops the nullable a pointer gave.)
func nullableRefs(schemas openapi3.Schemas, types map[string]reflect.Type) {
	for name, t := range types {
		sch := schemas[name]
		if sch == nil || sch.Value == nil || t.Kind() != reflect.Struct {
			continue
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Type.Kind() != reflect.Pointer || f.Type.Elem().Kind() != reflect.Struct {
				continue
			}
			json, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if json == "" {
				json = f.Name
			}
			if prop := sch.Value.Properties[json]; prop != nil && prop.Ref != "" {
				sch.Value.Properties[json] = &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{prop}, Nullable: true}}
			}
		}
	}
}

// typedNullables gives every nullable schema its type, as OpenAPI 3.0
// requires beside nullable: an allOf of a component takes the
// component's, an array's or an object's its own.
func typedNullables(schemas openapi3.Schemas) {
	var visit func(*openapi3.SchemaRef)
	visit = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Ref != "" || ref.Value == nil {
			return
		}
		sch := ref.Value
		if sch.Nullable && (sch.Type == nil || len(*sch.Type) == 0) {
			switch {
			case len(sch.AllOf) == 1 && sch.AllOf[0].Ref != "":
				if target := schemas[strings.TrimPrefix(sch.AllOf[0].Ref, "#/components/schemas/")]; target != nil && target.Value != nil {
					sch.Type = target.Value.Type
				}
			case sch.Items != nil:
				sch.Type = &openapi3.Types{"array"}
			case sch.Properties != nil:
				sch.Type = &openapi3.Types{"object"}
			}
		}
		for _, p := range sch.Properties {
			visit(p)
		}
		visit(sch.Items)
		for _, a := range sch.AllOf {
			visit(a)
		}
		if sch.AdditionalProperties.Schema != nil {
			visit(sch.AdditionalProperties.Schema)
		}
	}
	for _, s := range schemas {
		visit(s)
	}
}

// schemaName names a type's schema by its package and name, capitalised:
// MetricsRanking, ServerPublicationJSON.
func schemaName(t reflect.Type) string {
	pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
	if pkg == "flexemp" {
		pkg = ""
	}
	return capital(pkg) + capital(t.Name())
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// statusText is what each status means to a caller, in Chinese.
var statusText = map[int]string{
	200: "成功", 201: "已提交", 400: "请求有误（参数或表单）", 401: "缺少访问令牌，或令牌无效、已吊销", 403: "无权执行或访问（如其他城市的数据）",
	404: "不存在或尚未考核", 409: "与当前状态冲突", 413: "文件过大", 415: "不是支持的文件格式", 422: "内容不合格",
	429: "本市同时上传的文件过多，请稍后再试", 500: "服务器内部错误，请稍后重试或联系管理员",
}

var pathParamDesc = map[string]string{"period": "考核期：年度 2025 或季度 2025Q2", "code": "城市代码，如 210100", "id": "编号", "n": "证明材料序号，从 1 起",
	"state": "published（公示稿）或 final（定稿）", "name": "文件名：rank.json、report.html、ranking.xlsx、report.pdf 等"}

func fieldSchema(f apiField) *openapi3.Schema {
	s := openapi3.NewStringSchema()
	if f.file {
		s = s.WithFormat("binary")
	}
	if len(f.enum) > 0 {
		vals := make([]any, len(f.enum))
		for i, e := range f.enum {
			vals[i] = e
		}
		s = s.WithEnum(vals...)
	}
	if f.array {
		return openapi3.NewArraySchema().WithItems(s)
	}
	return s
}

// docsView is the API document as /api/docs shows it to a person.
type docsView struct {
	view
	Description string
	Operations  []docsOperation
}

type docsOperation struct {
	Method, Path, Summary, Description string
	Public                             bool
	Params                             []docsField // path and query parameters
	Body, BodyType                     string      // the form's fields, its media type
	Answers                            []docsAnswer
}

type docsField struct{ Name, In, Desc string }

type docsAnswer struct {
	Status int
	Text   string
}

// apiDocs renders the OpenAPI document as a page: every route, its
// parameters, its form and its answers, from the same table; no script.
func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) {
	doc, err := OpenAPI()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	sess, _ := s.sessionOf(r)
	v := docsView{view: s.viewFor(sess, "接口说明"), Description: doc.Info.Description}
	for _, rt := range apiRoutes {
		op := doc.Paths.Find(rt.path).GetOperation(rt.method)
		d := docsOperation{Method: rt.method, Path: rt.path, Summary: rt.summary, Description: rt.description, Public: rt.public}
		for _, p := range op.Parameters {
			in := map[string]string{"path": "路径", "query": "查询"}[p.Value.In]
			if p.Value.Required {
				in += "，必填"
			}
			d.Params = append(d.Params, docsField{p.Value.Name, in, p.Value.Description})
		}
		var fields []string
		for _, f := range rt.form {
			text := f.name
			if f.required {
				text += "（必填）"
			}
			fields = append(fields, text+"："+f.desc)
		}
		d.Body = strings.Join(fields, "；")
		if rt.multipart {
			d.BodyType = "multipart/form-data"
		} else if len(rt.form) > 0 {
			d.BodyType = "application/x-www-form-urlencoded"
		}
		for status, resp := range op.Responses.Map() {
			var n int
			fmt.Sscan(status, &n)
			d.Answers = append(d.Answers, docsAnswer{n, *resp.Value.Description})
		}
		slices.SortFunc(d.Answers, func(a, b docsAnswer) int { return a.Status - b.Status })
		v.Operations = append(v.Operations, d)
	}
	s.render(w, r, http.StatusOK, "apiDocs", v)
}
