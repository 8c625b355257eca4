package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/app"
	"github.com/liaoning-hrss/flexemp/internal/cli"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/store"
)

// call is one run of a command: its flags, where it writes, and its
// session on the database, closed when the command returns.
type call struct {
	ctx            context.Context
	name           string
	args           []string
	flags          *cli.Flags
	stdout, stderr io.Writer
	config, db     string // --config and --db, when the command takes them
	sess           *app.Session
}

func newCall(ctx context.Context, name string, args []string, stdout, stderr io.Writer) *call {
	return &call{ctx: ctx, name: name, args: args, flags: cli.New(name, stderr), stdout: stdout, stderr: stderr}
}

// parse reads the command's arguments.
func (c *call) parse() error { return c.flags.Parse(c.args) }

// dbFlags registers --config and --db.
func (c *call) dbFlags() {
	c.flags.StringVar(&c.config, "config", "", "配置文件（默认当前目录的 flexemp.toml，如有）")
	c.flags.StringVar(&c.db, "db", "", "DuckDB 数据库文件（优先于配置）")
}

// load loads the config file with --db over it.
func (c *call) load() (app.Config, error) {
	cfg, err := app.Load(c.config)
	if c.db != "" {
		cfg.DB = c.db
	}
	cfg.Notices = c.stderr
	return cfg, err
}

// session is the command's session on the configured database.
func (c *call) session() (*app.Session, error) {
	if c.sess != nil {
		return c.sess, nil
	}
	cfg, err := c.load()
	if err != nil && app.Held(c.ctx) == nil {
		return nil, err
	}
	c.sess = app.NewSession(c.ctx, cfg)
	return c.sess, nil
}

// store is the store over the database; create makes the file when there
// is none.
func (c *call) store(create bool) (*store.Store, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	return s.Store(c.ctx, create)
}

// open is the database, which must exist.
func (c *call) open() (*sql.DB, error) {
	st, err := c.store(false)
	if err != nil {
		return nil, err
	}
	return st.DB(), nil
}

// assessed is the database, in which p must have been assessed.
func (c *call) assessed(p flexemp.Period) (*sql.DB, error) {
	db, err := c.open()
	if err != nil {
		return nil, err
	}
	return db, assessedIn(c.ctx, db, p)
}

// assessedIn tells the user to assess p first when it has not been.
func assessedIn(ctx context.Context, db *sql.DB, p flexemp.Period) error {
	if ok, err := metrics.Assessed(ctx, db, p); err != nil || ok {
		return err
	}
	return fmt.Errorf("%s 尚未考核：请先运行 flexemp assess --period %s", p, p)
}

var tableJSONCSV = []string{"table", "json", "csv"}

// json prints v indented, with Chinese and <, > as they are.
func (c *call) json(v any) error {
	enc := json.NewEncoder(c.stdout)
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
