// Command calibrate serves the two reference pages, to tell this machine's speed from
// Portico's: GET /pk, a primary-key query and a one-line page, and GET /list, a 25-row list
// page (one indexed query, html/template). Run it against the load-test database and load it
// with wrk like Portico (see docs/performance.md):
//
//	DSN=postgres://postgres@127.0.0.1:5432/perf?sslmode=disable CONTACT=1 go run ./docs/load/calibrate
//	wrk -t2 -c64 -d30s http://127.0.0.1:8099/pk
package main

import (
	"database/sql"
	"html/template"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	_ "github.com/jackc/pgx/v5/stdlib"
)

var listPage = template.Must(template.New("list").Parse(`<!doctype html><html lang="en"><head><title>Tickets</title></head>` +
	`<body><h1>Tickets</h1><table>{{range .}}<tr><td><a href="/t/{{.Number}}">T-{{.Number}}</a></td><td>{{.Subject}}</td>` +
	`<td>{{.Created.Format "2006-01-02"}}</td><td>{{.Last.Format "2006-01-02 15:04"}}</td>` +
	`<td>{{if .Closed}}Closed{{else}}Open{{end}}</td></tr>{{end}}</table></body></html>`))

type row struct {
	ID, Number    int64
	Subject       string
	Closed        bool
	Created, Last time.Time
}

func main() {
	db, err := sql.Open("pgx", os.Getenv("DSN"))
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	contact, _ := strconv.ParseInt(os.Getenv("CONTACT"), 10, 64)
	pk, err := db.Prepare("SELECT id, name, email FROM contacts WHERE id = $1")
	if err != nil {
		log.Fatal(err)
	}
	list, err := db.Prepare("SELECT id, number, subject, is_closed, created_at, last_activity_at FROM tickets " +
		"WHERE contact_id = $1 ORDER BY last_activity_at DESC, id DESC LIMIT 25")
	if err != nil {
		log.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/pk", func(c *fiber.Ctx) error {
		var id int64
		var name, email string
		if err := pk.QueryRowContext(c.UserContext(), contact).Scan(&id, &name, &email); err != nil {
			return err
		}
		c.Type("html")
		return c.SendString("<!doctype html><title>Contact</title><p>" + template.HTMLEscapeString(name+" "+email) + "</p>")
	})
	app.Get("/list", func(c *fiber.Ctx) error {
		rs, err := list.QueryContext(c.UserContext(), contact)
		if err != nil {
			return err
		}
		defer rs.Close()
		var rows []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.ID, &r.Number, &r.Subject, &r.Closed, &r.Created, &r.Last); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		c.Type("html")
		return listPage.Execute(c, rows)
	})
	log.Fatal(app.Listen("127.0.0.1:8099"))
}
