package transform

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/sqltext"
)

// closedColumn is a stored column whose values come from a closed list the
// root declares: a contract's TypeEnum column, the city of a row, or the sex
// an ID gives.
type closedColumn struct {
	table, column string
	values        []string
}

// closedColumns are every extract table's closed columns.
func closedColumns() []closedColumn {
	var codes []string
	for _, c := range flexemp.Cities {
		codes = append(codes, c.Code)
	}
	var cols []closedColumn
	for _, c := range flexemp.Contracts {
		cols = append(cols, closedColumn{string(c.Kind), "city_code", codes})
		for _, col := range c.Columns {
			switch col.Type {
			case flexemp.TypeEnum:
				cols = append(cols, closedColumn{string(c.Kind), col.Name, col.Values})
			case flexemp.TypeID:
				cols = append(cols, closedColumn{string(c.Kind), "sex", flexemp.Sexes})
			}
		}
	}
	return cols
}

// enumType is DuckDB's name for an ENUM of these values.
func enumType(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = sqltext.String(v)
	}
	return "ENUM(" + strings.Join(quoted, ", ") + ")"
}

// storeClosedColumnsAsEnums gives each closed column the ENUM of its
// declared values, once, and again whenever a declaration changes. An ENUM
// is stored as a small integer: a province's backfill commits in a third
// of the time it took with these columns as text, which DuckDB had to
// analyse and compress string by string. Ingest has already held every
// value to its list, so the change of type cannot fail on stored rows.
func storeClosedColumnsAsEnums(ctx context.Context, db *sql.DB, cols []closedColumn) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	types := map[[2]string]string{} // table, column: its type, in one read of the catalog
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name, data_type FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = 'main'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var table, column, typ string
		if err := rows.Scan(&table, &column, &typ); err != nil {
			rows.Close()
			return err
		}
		types[[2]string{table, column}] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	changed := false
	for _, c := range cols {
		want := enumType(c.values)
		have, ok := types[[2]string{c.table, c.column}]
		if !ok {
			return fmt.Errorf("%s.%s: no such column", c.table, c.column)
		}
		if have == want {
			continue
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::VARCHAR::%s`,
			sqltext.Ident(c.table), sqltext.Ident(c.column), want, sqltext.Ident(c.column), want)); err != nil {
			return fmt.Errorf("%s.%s as %s: %w", c.table, c.column, want, err)
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return tx.Commit()
}
