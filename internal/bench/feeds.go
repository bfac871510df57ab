// Package bench measures civicwatch the way an operator runs it: it serves
// synthetic feeds on loopback, runs the civicwatch binary's own poll over
// them in a child process, and times gofeed parsing the same bytes in
// memory in the same run, so that the figure and its baseline share the
// machine's mood. It also writes the year-sized archives that the store's
// benchmarks read (archive.go).
package bench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// newsWords is the vocabulary of the synthetic feeds: labour news, so that
// the shipped topics find their terms and run their rules as on real news.
var newsWords = strings.Fields(`union workers strike garment factory ministry labour interior minimum wage
federation protest arrested court police association NGO rights activists Phnom Penh Kandal province
president leader members dismissed court appeal statement petition investigation registration law
the a of to and in on for with said was were has have will by from at their this that government
company market price rice farmers flood road school hospital election party council village`)

func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(newsWords[r.IntN(len(newsWords))])
	}
	return b.String()
}

// Feed renders feed i of a run: RSS 2.0 with a description and
// content:encoded per item, about 1.7 KB an item, 50 KB for 30 items. The
// same i always gives the same bytes.
func Feed(i, items int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Outlet %d</title><link>https://outlet%d.example/</link><language>en</language>`, i, i)
	for j := range items {
		fmt.Fprintf(&b, `<item><title>%s</title><link>https://outlet%d.example/news/%d?utm_source=rss</link><guid isPermaLink="false">o%d-%d</guid><pubDate>%s</pubDate><description><![CDATA[<p>%s</p>]]></description><content:encoded><![CDATA[<p>%s</p><p>%s</p><p>%s</p>]]></content:encoded></item>`,
			sentence(r, 10), i, j, i, j, time.Date(2026, 11, 20, 0, j, 0, 0, time.UTC).Format(time.RFC1123Z),
			sentence(r, 30), sentence(r, 45), sentence(r, 45), sentence(r, 45))
	}
	b.WriteString(`</channel></rss>`)
	return b.Bytes()
}
