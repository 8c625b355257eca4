// Command flexemp is the assessment of Liaoning's flexible-employment
// measures on the command line: ingest, assess, rank, explain, report,
// serve (with the scheduler), tokens, jobs, templates, the generator, the
// demo and the benchmarks. It reads flags and flexemp.toml and wires the
// packages; the work is theirs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"

	"github.com/liaoning-hrss/flexemp"
)

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries an exit status without a message of its own (the command
// has already said what happened).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"ingest":     {"校验并入库城市上传的数据文件", runIngest},
	"uploads":    {"列出上传记录", runUploads},
	"rejects":    {"导出某次上传的被拒行", runRejects},
	"template":   {"生成某类数据的上传模板（Excel）", runTemplate},
	"gen":        {"生成合成的演示数据", runGen},
	"demo":       {"演示：生成、入库、考核并出报告", runDemo},
	"bench":      {"测量整条流程的性能", runBench},
	"assess":     {"考核某一期：指标、指数、名次及其区间、数据核查", runAssess},
	"rank":       {"显示某一期的排名", runRank},
	"explain":    {"逐步说明某城市某一期的结果", runExplain},
	"report":     {"生成某一期的 report.html 与 ranking.xlsx", runReport},
	"integrity":  {"列出某一期的数据核查结果及依据", runIntegrity},
	"backup":     {"备份数据库（服务运行时经由服务进行）", runBackup},
	"restore":    {"从备份恢复到新的数据库文件", runRestore},
	"export":     {"导出当前版本的假名化数据为按类型、年、月、城市分区的 Parquet", runExport},
	"audit":      {"列出审计日志；audit verify 校验其哈希链", runAudit},
	"publish":    {"公示某一期的最新草稿排名，开始异议期", runPublish},
	"withdraw":   {"撤回公示中的排名（须说明理由）", runWithdraw},
	"object":     {"城市对公示排名提出异议（可附更正数据与证明材料）", runObject},
	"objections": {"列出某一期的异议及处理结果", runObjections},
	"decide":     {"处理异议：采纳或不予采纳（须说明理由）", runDecide},
	"finalise":   {"异议期结束、异议处理完毕后定稿", runFinalise},
	"verify":     {"按记录的数据版本、配置与种子重算公示稿与定稿，核对其哈希", runVerify},
	"serve":      {"运行上传、审核页面、接口与定时任务", runServe},
	"token":      {"新增、吊销或列出城市与审核人员的访问令牌", runToken},
	"jobs":       {"列出定时任务的运行记录", runJobs},
	"run-job":    {"立即运行一个定时任务：inbox、assess、report 或 reminder", runRunJob},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(profiled(func() int { return run(ctx, os.Args[1:], os.Stdout, os.Stderr) }))
}

// profiled runs f under Go's CPU profiler when FLEXEMP_CPUPROFILE names a
// file to write, so a whole command can be profiled as an operator runs it
// (go tool pprof). Time spent inside DuckDB shows as cgo calls.
func profiled(f func() int) int {
	path := os.Getenv("FLEXEMP_CPUPROFILE")
	if path == "" {
		return f()
	}
	out, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(out)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "FLEXEMP_CPUPROFILE: %v\n", err)
		return f()
	}
	defer out.Close()
	defer pprof.StopCPUProfile()
	return f()
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Everything flexemp makes — the database and its WAL, the key, the lake,
	// backups, reports — is its owner's alone, whatever umask it was started
	// with: they hold pseudonyms, birth dates and token hashes.
	syscall.Umask(0o077)
	notices = stderr
	switch {
	case len(args) == 0:
		usage(stderr)
		return 2
	case args[0] == "-h" || args[0] == "--help" || args[0] == "help":
		usage(stdout)
		return 0
	case args[0] == "--version" || args[0] == "version":
		fmt.Fprintln(stdout, "flexemp", version())
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "flexemp：没有命令 %q\n", args[0])
		usage(stderr)
		return 2
	}
	if viaServe[args[0]] {
		if code, ok := forward(ctx, args, stdout, stderr); ok {
			return code
		}
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "flexemp %s: %s\n", args[0], ue.msg)
		return 2
	case errors.As(err, &ee):
		return int(ee)
	}
	fmt.Fprintf(stderr, "flexemp %s: %v\n", args[0], err)
	return 1
}

// version is the build's: -ldflags "-X main.buildVersion=…", else the
// module's version and commit as the go tool recorded them.
var buildVersion string

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	v, rev := "devel", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	return v + rev + "（" + runtime.Version() + "）"
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "灵活就业政策落实考核（辽人社〔2022〕22号第十八条）\n\n用法：flexemp 命令 [参数]；flexemp 命令 -h 查看参数\n\n命令：")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
}

// newFlags makes a command's flag set; parse errors become usage errors.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("flexemp "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "用法：flexemp %s [参数]\n参数：\n", name)
		printFlags(fs, stderr)
	}
	return fs
}

// printFlags lists a command's flags as flag.PrintDefaults does, with the
// defaults said in Chinese.
func printFlags(fs *flag.FlagSet, w io.Writer) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if kind != "" {
			line += " " + kind
		}
		line += "\n    \t" + usage
		if d := f.DefValue; d != "" && d != "0" && d != "false" && d != "[]" {
			line += "（默认 " + d + "）"
		}
		fmt.Fprintln(w, line)
	})
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	// Allow flags after positional arguments: flexemp ingest FILE --db DB.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// oneOf checks a flag's value against the values it may take.
func oneOf(flag, val string, allowed ...string) error {
	for _, a := range allowed {
		if val == a {
			return nil
		}
	}
	return usagef("--%s 应为 %s 之一", flag, strings.Join(allowed, "、"))
}

// writeJSON prints v indented, with Chinese and <, > as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeFile creates path and writes it with write, reporting a failed close.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// cityFlag reads --city as a code or a name (沈阳, 沈阳市, 210100, or a
// county code of the city); an unknown one is a usage error.
func cityFlag(s string) (flexemp.City, error) {
	c, ok := flexemp.ResolveCity(strings.TrimSpace(s))
	if !ok {
		return c, usagef("--city：%q 不是辽宁省的城市（可用代码如 210100，或名称如 沈阳）", s)
	}
	return c, nil
}

// optionalCity reads a --city that may be left out: the city's code, or "".
func optionalCity(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	c, err := cityFlag(s)
	return c.Code, err
}

func required(name, val string) error {
	if strings.TrimSpace(val) == "" {
		return usagef("缺少 --%s", name)
	}
	return nil
}
