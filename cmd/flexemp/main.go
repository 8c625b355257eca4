// Command flexemp is the assessment of Liaoning's flexible-employment
// measures on the command line: ingest, assess, rank, explain, report,
// issue, serve (with the scheduler), tokens, jobs, templates, the
// generator, the demo and the benchmarks. It reads flags and wires the
// packages (app holds the configuration and the serve process); the work
// is theirs.
package main

import (
	"context"
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
	"syscall"

	"github.com/liaoning-hrss/flexemp/app"
	"github.com/liaoning-hrss/flexemp/internal/cli"
)

// exitError carries an exit status without a message of its own (the command
// has already said what happened).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

type command struct {
	summary string
	run     func(c *call) error
	// viaServe: while a serve process holds the database, the command runs
	// inside it through its admin socket instead of failing on DuckDB's
	// file lock (adding a city's token needs no downtime). Such commands
	// write no files but those named by path flags (app.Forward).
	viaServe bool
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"ingest":      {"校验并入库城市上传的数据文件", runIngest, false},
		"uploads":     {"列出上传记录", runUploads, true},
		"rejects":     {"导出某次上传的被拒行", runRejects, false},
		"template":    {"生成某类数据的上传模板（Excel）", runTemplate, false},
		"gen":         {"生成合成的演示数据", runGen, false},
		"demo":        {"演示：生成、入库、考核并出报告", runDemo, false},
		"bench":       {"测量整条流程的性能", runBench, false},
		"assess":      {"考核某一期：指标、指数、名次及其区间、数据核查", runAssess, true},
		"rank":        {"显示某一期的排名", runRank, true},
		"explain":     {"逐步说明某城市某一期的结果", runExplain, true},
		"report":      {"生成某一期的 report.html 与 ranking.xlsx", runReport, true},
		"integrity":   {"列出某一期的数据核查结果及依据", runIntegrity, true},
		"backup":      {"备份数据库（服务运行时经由服务进行）", runBackup, false},
		"restore":     {"从备份恢复到新的数据库文件", runRestore, false},
		"export":      {"导出当前版本的假名化数据为按类型、年、月、城市分区的 Parquet", runExport, false},
		"audit":       {"列出审计日志；audit verify 校验其哈希链", runAudit, true},
		"publish":     {"公示某一期的最新草稿排名，开始异议期", runPublish, true},
		"withdraw":    {"撤回公示中的排名（须说明理由）", runWithdraw, true},
		"object":      {"城市对公示排名提出异议（可附更正数据与证明材料）", runObject, true},
		"objections":  {"列出某一期的异议及处理结果", runObjections, true},
		"decide":      {"处理异议：采纳或不予采纳（须说明理由）", runDecide, true},
		"finalise":    {"异议期结束、异议处理完毕后定稿", runFinalise, true},
		"publication": {"写出某一期公示稿或定稿所发布的文件（逐字节如所存）", runPublication, true},
		"verify":      {"按记录的数据版本、配置与种子重算公示稿与定稿，核对其哈希", runVerify, true},
		"dispatch":    {"调度：某年各市目标任务的完成率、时序进度、状态与全年预测", runDispatch, true},
		"bulletin":    {"生成某年截至某日的调度通报 bulletin.html 与 bulletin.pdf", runBulletin, true},
		"serve":       {"运行上传、审核页面、接口与定时任务", runServe, false},
		"token":       {"新增、吊销或列出城市与审核人员的访问令牌", runToken, true},
		"jobs":        {"列出定时任务的运行记录", runJobs, true},
		"run-job":     {"立即运行一个定时任务：inbox、assess、report、reminder 或 bulletin", runRunJob, true},
	}
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
	if cmd.viaServe {
		if code, ok := app.Forward(ctx, args, stdout, stderr); ok {
			return code
		}
	}
	c := newCall(ctx, args[0], args[1:], stdout, stderr)
	err := cmd.run(c)
	if c.sess != nil {
		if cerr := c.sess.Close(); err == nil {
			err = cerr
		}
	}
	var ue cli.UsageError
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "flexemp %s: %s\n", c.name, ue.Msg)
		return 2
	case errors.As(err, &ee):
		return int(ee)
	}
	fmt.Fprintf(stderr, "flexemp %s: %v\n", c.name, err)
	return 1
}

// runInServe runs the commands forwarded to serve (app.Serve).
func runInServe(ctx context.Context, args []string, stdout, stderr io.Writer) (int, bool) {
	if !commands[args[0]].viaServe {
		return 0, false
	}
	return run(ctx, args, stdout, stderr), true
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
