package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// The shape of a realistic archive: about 3 % of stories about the
// shipped topics, a fifth of them in Khmer, one in ten carried by two feeds.
const (
	DefaultTopical   = 0.03
	DefaultKhmer     = 0.2
	DefaultResighted = 0.1
)

// ArchiveOptions shape a synthetic archive.
type ArchiveOptions struct {
	Stories int       // stories in all
	Days    int       // spread evenly over this many days
	Feeds   int       // feeds carrying them
	End     time.Time // the last day's end; the archive covers [End − Days, End)
	// Topical is the share of stories given a sentence about the shipped
	// topics (a union leader arrested, the ministry suspending an NGO):
	// the shipped rules then match about that share.
	Topical float64
	// Khmer is the share of stories written in Khmer.
	Khmer float64
	// Resighted is the share of stories carried by a second feed too.
	Resighted float64
	Rules     *match.Rules // matched as a poll would; nil stores them unmatched
	Progress  func(day int, stories int)
}

// Everyday words of news that name no topic term of the shipped config.
var (
	plainEnglish = strings.Fields(`the a of to and in on for with said was were has have will by from at their this that
government company market price rice farmers flood road school hospital election council village tourism
festival weather rain season export bank loan investment bridge traffic football team match concert
province district officials residents water power electricity students teachers health vaccine report
week month year new old large small first last many some people city town river border trade growth`)
	plainKhmer = strings.Fields(`ការ ប្រជាជន ខេត្ត ស្រុក ភូមិ ទឹក ភ្លៀង ផ្លូវ សាលារៀន មន្ទីរពេទ្យ កសិករ ស្រូវ ទីផ្សារ តម្លៃ
ថ្ងៃ ខែ ឆ្នាំ ថ្មី ធំ តូច ពិធី បុណ្យ ទេសចរណ៍ សិស្ស គ្រូ សុខភាព ធនាគារ វិនិយោគ ស្ពាន ចរាចរណ៍ បាល់ទាត់ អគ្គិសនី`)
	// Sentences the shipped rules match, one topic or more each.
	topicalEnglish = []string{
		"Police in Phnom Penh arrested the union leader after the garment workers' strike.",
		"The Ministry of Labour suspended the registration of the union federation, the Cambodian Labour Confederation said.",
		"The Ministry of Interior ordered the NGO to stop its activities in Cambodia, human rights groups said.",
		"Cambodian unions protested the minimum wage decision outside the Ministry of Labour.",
		"Authorities in Cambodia charged three environmental activists with incitement.",
	}
	topicalKhmer = []string{
		"សមត្ថកិច្ចបានចាប់ខ្លួនមេដឹកនាំសហជីពនៅភ្នំពេញ បន្ទាប់ពីកូដកម្មរបស់កម្មករ។",
		"ក្រសួងការងារ និងបណ្តុះបណ្តាលវិជ្ជាជីវៈ បានព្យួរការចុះបញ្ជីសហជីព នៅកម្ពុជា។",
		"ក្រសួងមហាផ្ទៃ បានព្រមានអង្គការមិនមែនរដ្ឋាភិបាល និងសមាគម នៅកម្ពុជា។",
	}
)

// words writes n words of vocab into b, separated as the language is:
// English with spaces, Khmer with a zero-width space between some words
// and none between others, as Khmer sites do.
func words(b *strings.Builder, r *rand.Rand, vocab []string, n int, khmer bool) {
	for i := range n {
		if i > 0 {
			switch {
			case !khmer:
				b.WriteByte(' ')
			case r.IntN(3) == 0:
				b.WriteString("\u200B")
			case r.IntN(8) == 0:
				b.WriteByte(' ')
			}
		}
		b.WriteString(vocab[r.IntN(len(vocab))])
	}
}

// story makes one item: title, summary and about 1.2 KB of text.
func story(r *rand.Rand, feedNo, day, n int, khmer, topical bool) feed.Item {
	vocab := plainEnglish
	if khmer {
		vocab = plainKhmer
	}
	var title, summary, text strings.Builder
	words(&title, r, vocab, 6+r.IntN(6), khmer)
	words(&summary, r, vocab, 20+r.IntN(20), khmer)
	paragraphs := 3 + r.IntN(4)
	for p := range paragraphs {
		if p > 0 {
			text.WriteString("\n\n")
		}
		words(&text, r, vocab, 25+r.IntN(30), khmer)
		text.WriteByte('.')
	}
	if topical {
		var s string
		if khmer {
			s = topicalKhmer[r.IntN(len(topicalKhmer))]
		} else {
			s = topicalEnglish[r.IntN(len(topicalEnglish))]
		}
		title.Reset()
		title.WriteString(s)
		text.WriteString("\n\n" + s)
	}
	url := fmt.Sprintf("https://outlet%d.example/%d/%d", feedNo, day, n)
	lang := "en"
	if khmer {
		lang = "km"
	}
	return feed.Item{GUID: url, URL: url, Title: title.String(), Summary: summary.String(), Content: text.String(), Lang: lang}
}

// FeedID names feed i of a synthetic archive; every fifth is tagged
// cambodia in ArchiveFeeds.
func FeedID(i int) string { return fmt.Sprintf("outlet-%03d", i) }

// ArchiveFeeds is the feeds section of a synthetic archive, for a config
// whose rules see the same tags as the generator's.
func ArchiveFeeds(n int) []config.Feed {
	fs := make([]config.Feed, n)
	for i := range fs {
		fs[i] = config.Feed{ID: FeedID(i), Name: fmt.Sprintf("Outlet %d", i), URL: fmt.Sprintf("https://outlet%d.example/feed", i), Enabled: true}
		if i%5 == 0 {
			fs[i].Tags = []string{"cambodia"}
		}
	}
	return fs
}

// BuildArchive writes a synthetic archive into st through the store's own
// ingest path (SaveFetches, one call a day, stamped with that day), so the
// tables, indexes and full-text index are those polling would build.
func BuildArchive(ctx context.Context, st *store.Store, o ArchiveOptions) error {
	feeds := ArchiveFeeds(o.Feeds)
	refs := make([]store.FeedRef, len(feeds))
	for i, f := range feeds {
		refs[i] = store.FeedRef{ID: f.ID, Name: f.Name, URL: f.URL}
	}
	start := o.End.Add(-time.Duration(o.Days) * 24 * time.Hour)
	if err := st.SyncFeeds(ctx, refs, start); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(uint64(o.Stories), 15))
	made := 0
	for day := range o.Days {
		perDay := (o.Stories*(day+1))/o.Days - made
		at := start.Add(time.Duration(day)*24*time.Hour + 12*time.Hour)
		byFeed := make([][]feed.Item, len(feeds))
		for n := range perDay {
			f := r.IntN(len(feeds))
			it := story(r, f, day, n, r.Float64() < o.Khmer, r.Float64() < o.Topical)
			byFeed[f] = append(byFeed[f], it)
			if r.Float64() < o.Resighted {
				// Another outlet carries the same article under its own
				// GUID: one story, two sightings.
				g := (f + 1 + r.IntN(len(feeds)-1)) % len(feeds)
				again := it
				again.GUID = fmt.Sprintf("%s#%s", it.URL, FeedID(g))
				byFeed[g] = append(byFeed[g], again)
			}
		}
		var recs []*store.Fetch
		for i, items := range byFeed {
			if len(items) == 0 {
				continue
			}
			rec := &store.Fetch{FeedID: feeds[i].ID, StartedAt: at, Outcome: store.OutcomeOK, Status: 200, Items: items}
			if o.Rules != nil {
				rec.RulesVersion = o.Rules.Version()
				rec.Matches = make([][]match.Result, len(items))
				for j := range items {
					s := store.ItemMatchStory(&items[j], feeds[i].Tags)
					rec.Matches[j] = o.Rules.Match(&s)
				}
			}
			recs = append(recs, rec)
		}
		st.SetClock(func() time.Time { return at })
		// A day in batches of 64 fetches, as the poller's writer commits.
		for len(recs) > 0 {
			n := min(len(recs), 64)
			if _, err := st.SaveFetches(ctx, recs[:n]); err != nil {
				return fmt.Errorf("day %d: %w", day, err)
			}
			recs = recs[n:]
		}
		made += perDay
		if o.Progress != nil {
			o.Progress(day, made)
		}
	}
	st.SetClock(time.Now)
	return nil
}
