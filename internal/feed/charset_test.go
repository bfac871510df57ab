package feed

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

func TestToUTF8(t *testing.T) {
	const decl1252 = `<?xml version="1.0" encoding="windows-1252"?>`
	tests := []struct {
		name        string
		in          string
		contentType string
		want        string
	}{
		{name: "plain ASCII", in: "<rss/>", want: "<rss/>"},
		{name: "valid UTF-8, no declaration", in: "<t>ខ្មែរ “q”</t>", want: "<t>ខ្មែរ “q”</t>"},
		{name: "UTF-8 BOM stripped", in: "\xEF\xBB\xBF<t>é</t>", want: "<t>é</t>"},
		{
			name: "UTF-8 BOM outranks a declaration",
			in:   "\xEF\xBB\xBF" + decl1252 + "<t>é</t>",
			want: `<?xml version="1.0" encoding="UTF-8"?><t>é</t>`,
		},
		{name: "UTF-8 BOM with invalid bytes", in: "\xEF\xBB\xBF<t>\xE9</t>", want: "<t>\uFFFD</t>"},
		{
			name: "windows-1252 declared",
			in:   decl1252 + "<t>\x93caf\xe9\x94 \x97 \x80</t>",
			want: `<?xml version="1.0" encoding="UTF-8"?><t>“café” — €</t>`,
		},
		{
			name: "iso-8859-1 declared is read as windows-1252",
			in:   `<?xml version='1.0' encoding='ISO-8859-1' standalone='yes'?><t>droits` + "\x92</t>",
			want: `<?xml version='1.0' encoding='UTF-8' standalone='yes'?><t>droits’</t>`,
		},
		{
			name: "declaration with spaces around =",
			in:   "\n  <?xml version=\"1.0\" encoding = \"latin1\" ?><t>\xe9</t>",
			want: "\n  <?xml version=\"1.0\" encoding = \"UTF-8\" ?><t>é</t>",
		},
		{
			name: "declared windows-1251",
			in:   `<?xml version="1.0" encoding="windows-1251"?><t>` + "\xcf\xf0\xe8\xe2\xe5\xf2</t>",
			want: `<?xml version="1.0" encoding="UTF-8"?><t>Привет</t>`,
		},
		{
			name:        "charset from Content-Type",
			in:          "<t>caf\xe9</t>",
			contentType: "text/xml; charset=iso-8859-1",
			want:        "<t>café</t>",
		},
		{
			name:        "Content-Type charset overruled by UTF-8 text",
			in:          "<t>café ខ្មែរ</t>",
			contentType: "text/xml; charset=ISO-8859-1",
			want:        "<t>café ខ្មែរ</t>",
		},
		{
			name:        "Content-Type charset applies to ASCII",
			in:          "<t>\x1b$B$3$s\x1b(B</t>",
			contentType: "text/xml; charset=iso-2022-jp",
			want:        "<t>こん</t>",
		},
		{
			name: "declaration not overruled by UTF-8 text",
			in:   decl1252 + "<t>Ã©</t>",
			want: `<?xml version="1.0" encoding="UTF-8"?><t>ÃƒÂ©</t>`, // mojibake, as declared
		},
		{
			name:        "declaration outranks Content-Type",
			in:          decl1252 + "<t>caf\xe9</t>",
			contentType: "text/xml; charset=utf-8",
			want:        `<?xml version="1.0" encoding="UTF-8"?><t>café</t>`,
		},
		{name: "nothing declared, invalid UTF-8: windows-1252", in: "<t>\x93hi\x94</t>", want: "<t>“hi”</t>"},
		{
			name: "declared UTF-8 but invalid: replacement",
			in:   `<?xml version="1.0" encoding="utf-8"?><t>a` + "\xff\xfe" + `b</t>`,
			want: `<?xml version="1.0" encoding="utf-8"?><t>a` + "\uFFFD" + `b</t>`,
		},
		{
			name:        "Content-Type UTF-8 but invalid: replacement",
			in:          "<t>a\xe9b</t>",
			contentType: "application/rss+xml;charset=UTF-8",
			want:        "<t>a\uFFFDb</t>",
		},
		{
			name: "unknown label removed from declaration",
			in:   `<?xml version="1.0" encoding="x-klingon"?><t>é</t>`,
			want: `<?xml version="1.0" encoding="UTF-8"?><t>é</t>`,
		},
		{
			name: "UTF-16 label on an ASCII body is a mislabel",
			in:   `<?xml version="1.0" encoding="UTF-16"?><t>é</t>`,
			want: `<?xml version="1.0" encoding="UTF-8"?><t>é</t>`,
		},
		{name: "UTF-16LE BOM", in: "\xFF\xFE<\x00t\x00>\x00\xe9\x00<\x00/\x00t\x00>\x00", want: "<t>é</t>"},
		{name: "UTF-16BE BOM", in: "\xFE\xFF\x00<\x00t\x00>\x17\x81\x00<\x00/\x00t\x00>", want: "<t>ខ</t>"},
		{
			name: "UTF-16LE BOM and declaration",
			in:   string(encodeUTF16(`<?xml version="1.0" encoding="utf-16"?><t>ក</t>`, false, true)),
			want: `<?xml version="1.0" encoding="UTF-8"?><t>ក</t>`,
		},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			orig := bytes.Clone(in)
			got, err := ToUTF8(in, tt.contentType)
			if err != nil {
				t.Fatalf("ToUTF8: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("ToUTF8 = %+q, want %+q", got, tt.want)
			}
			if !utf8.Valid(got) {
				t.Errorf("result is not valid UTF-8: %q", got)
			}
			if !bytes.Equal(in, orig) {
				t.Errorf("input modified")
			}
		})
	}
}

func TestToUTF8FastPathDoesNotCopy(t *testing.T) {
	tests := []struct {
		name, in, contentType string
	}{
		{"no declaration", "<rss><channel><title>ខ្មែរ</title></channel></rss>", ""},
		{"UTF-8 declaration", `<?xml version="1.0" encoding="UTF-8"?><rss/>`, "text/xml; charset=utf-8"},
		{"lower-case utf-8 declaration", `<?xml version="1.0" encoding="utf-8"?><rss/>`, ""},
		{"no encoding in declaration", `<?xml version="1.0"?><rss/>`, "application/xml"},
		{"JSON", `{"version":"https://jsonfeed.org/version/1.1"}`, "application/feed+json; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			got, err := ToUTF8(in, tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(in) || &got[0] != &in[0] {
				t.Fatal("valid UTF-8 was copied; want the input slice back")
			}
		})
	}
	t.Run("allocations", func(t *testing.T) {
		in := []byte(`<?xml version="1.0" encoding="UTF-8"?><rss><channel><title>ខ្មែរ</title></channel></rss>`)
		if n := testing.AllocsPerRun(100, func() { _, _ = ToUTF8(in, "text/xml; charset=utf-8") }); n != 0 {
			t.Errorf("fast path allocates %v times, want 0", n)
		}
	})
}

func TestContentTypeCharset(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"text/xml", ""},
		{"text/xml; charset=UTF-8", "UTF-8"},
		{`text/xml; Charset="windows-1252"`, "windows-1252"},
		{"text/xml;charset=iso-8859-1;", "iso-8859-1"},
		{"text/xml; format=flowed; charset = koi8-r", "koi8-r"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := contentTypeCharset(tt.in); got != tt.want {
				t.Errorf("contentTypeCharset(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
