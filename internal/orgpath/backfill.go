package orgpath

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"

	"entgo.io/ent/dialect"
)

// A Person is what a path is computed from: who manages the user, whether the
// user is live, and its tenant (a manager elsewhere manages nobody here).
type Person struct {
	Tenant, Manager string
	Live            bool
}

// Paths computes the path of every user from manager ids, the way the
// triggers would have written them: up through live managers of the same
// tenant. Where the data already holds a loop (A manages B manages A), the
// walk stops before it would come back to a user it passed, so every path is
// finite and no id appears twice in one.
func Paths(people map[string]Person) map[string]string {
	paths := make(map[string]string, len(people))
	for id, p := range people {
		var chain []string
		seen := map[string]bool{id: true}
		for up := p.Manager; up != "" && !seen[up]; {
			m, ok := people[up]
			if !ok || !m.Live || m.Tenant != p.Tenant {
				break
			}
			seen[up] = true
			chain = append(chain, up)
			up = m.Manager
		}
		slices.Reverse(chain)
		path := Top
		if len(chain) > 0 {
			path = "/" + strings.Join(chain, "/") + "/"
		}
		paths[id] = path
	}
	return paths
}

// backfill computes every path when some are missing: the database is from
// before the column, or rows were loaded with the triggers set aside.
func backfill(ctx context.Context, tx *sql.Tx, engine string) error {
	var missing int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE reporting_path = '' LIMIT 1) AS m`).Scan(&missing); err != nil {
		return err
	}
	if missing == 0 {
		return nil
	}
	if engine == dialect.Postgres {
		// No move may run between the read below and the writes.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, tenant_id, COALESCE(manager_id, ''), deleted_at IS NULL, reporting_path FROM users`)
	if err != nil {
		return err
	}
	people, stored := map[string]Person{}, map[string]string{}
	for rows.Next() {
		var id, path string
		var p Person
		if err := rows.Scan(&id, &p.Tenant, &p.Manager, &p.Live, &path); err != nil {
			rows.Close()
			return err
		}
		people[id], stored[id] = p, path
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var changed [][2]string
	for id, path := range Paths(people) {
		if stored[id] != path {
			changed = append(changed, [2]string{id, path})
		}
	}
	for len(changed) > 0 {
		chunk := changed[:min(len(changed), 1000)]
		changed = changed[len(chunk):]
		if err := write(ctx, tx, engine, chunk); err != nil {
			return err
		}
	}
	return nil
}

// write sets the paths of a chunk of users in one statement.
func write(ctx context.Context, tx *sql.Tx, engine string, chunk [][2]string) error {
	if engine == dialect.Postgres {
		ids, paths := make([]string, len(chunk)), make([]string, len(chunk))
		for i, c := range chunk {
			ids[i], paths[i] = c[0], c[1]
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET reporting_path = v.path
			FROM unnest($1::text[], $2::text[]) AS v(id, path) WHERE users.id = v.id`, ids, paths)
		return err
	}
	pairs, err := json.Marshal(chunk)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE users SET reporting_path = j.value ->> '$[1]'
		FROM json_each(?) AS j WHERE users.id = j.value ->> '$[0]'`, string(pairs))
	return err
}
