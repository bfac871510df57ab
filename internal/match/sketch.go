package match

// Sketch is a 2048-bit Bloom filter of the byte trigrams of a story's
// normalised fields. The rules lab keeps occurrences, not text; when a
// pattern it has never scanned for turns up, the sketches tell it which
// stories cannot contain it, so only the others are read, normalised and
// scanned again. A pattern occurs only where every one of its trigrams
// does, so a missing trigram bit rules a story out for certain; a set bit
// proves nothing. Trigrams never span two fields, as a pattern never does.
//
// Trigrams with a space in them are left out on both sides: a pattern's
// other trigrams still rule stories out for certain, and a story's spaced
// trigrams are two fifths of its bits while telling little. Each trigram
// sets one bit (k = 1), which TestSketchChooseK measured against two on
// stories of ~300 words (2.8 KB) from 2,000 made-up words of English letter
// frequencies, a Khmer paragraph in one story of three. With Zipf word
// frequencies, as in real text, and every trigram kept, k = 1 set 41% of
// the bits and let through 3.3% of stories for a 6–10 letter word they
// lack, k = 2 set 66% and let through 3.9%; leaving out the spaced
// trigrams, k = 1 sets 29% and lets through 1.0% (3% for words of 6
// letters), k = 2 sets 49% and lets through 0.6%. On denser text (uniform
// word frequencies) k = 1 lets through 5.8% and k = 2 7.6%: one bit is
// kept, as the choice that degrades gently as stories get longer.
//
// The zero Sketch is empty; ScanSketch adds to it.
type Sketch [32]uint64

// sketchBits is log2 of the number of bits in a Sketch.
const sketchBits = 11

// trigramMul spreads a trigram (its three bytes as a 24-bit number) over 64
// bits: multiplying by a large odd constant carries every input bit into the
// top bits, which are the ones used, so trigrams that differ in one byte
// land far apart. It is one multiplication per byte of text.
const trigramMul = 0x9E3779B97F4A7C15

// trigramBit is the bit of a Sketch that trigram v sets.
func trigramBit(v uint64) uint64 { return v * trigramMul >> (64 - sketchBits) }

// addTrigrams sets the bit of every byte trigram of text without a space.
// It runs over every byte the lab first reads, so it keeps the last three
// bytes in a register and counts how many follow the last space rather
// than testing each trigram for one.
func (sk *Sketch) addTrigrams(text []byte) {
	var v uint64
	run := 0
	for _, b := range text {
		if b == ' ' {
			run = 0
			continue
		}
		v = v<<8 | uint64(b)
		if run++; run >= 3 {
			h := trigramBit(v & 0xFFFFFF)
			sk[h>>6] |= 1 << (h & 63)
		}
	}
}

// spaced reports whether a trigram has a space in it.
func spaced(v uint64) bool {
	return byte(v) == ' ' || byte(v>>8) == ' ' || byte(v>>16) == ' '
}

// ScanSketch is Scan, returning the same occurrences in the same order, that
// also adds the trigrams of each normalised field to *sk (which it does not
// clear, so a caller starts from the zero Sketch), while the text is at hand.
func (s *Scanner) ScanSketch(st *Story, out []Occurrence, sk *Sketch) []Occurrence {
	n := normalizers.Get().(*normalizer)
	defer normalizers.Put(n)
	for i, text := range st.fields() {
		n.reset(text)
		s.occurrences(n, uint8(i), func(o Occurrence) { out = append(out, o) })
		sk.addTrigrams(n.out)
	}
	return out
}

// Probe is a pattern's trigram bits, worked out once so that testing a
// sketch is a few word tests. The zero Probe rules nothing out.
type Probe struct {
	words []probeWord
}

// probeWord is the bits a probe needs in one word of a Sketch.
type probeWord struct {
	index uint8
	mask  uint64
}

// NewProbe makes the probe of a normalised pattern (as Normalize returns
// it, the form Scanner patterns take). A pattern with no trigram free of
// spaces (shorter than three bytes, or words of one or two letters) has no
// bits, and its probe rules nothing out.
func NewProbe(pattern string) Probe {
	var p Probe
	for i := 2; i < len(pattern); i++ {
		v := uint64(pattern[i-2])<<16 | uint64(pattern[i-1])<<8 | uint64(pattern[i])
		if spaced(v) {
			continue
		}
		h := trigramBit(v)
		idx, bit := uint8(h>>6), uint64(1)<<(h&63)
		found := false
		for j := range p.words {
			if p.words[j].index == idx {
				p.words[j].mask |= bit
				found = true
				break
			}
		}
		if !found {
			p.words = append(p.words, probeWord{idx, bit})
		}
	}
	return p
}

// MayOccur reports whether the pattern may occur in the story sk sketches;
// false means it occurs in none of its fields.
func (p Probe) MayOccur(sk *Sketch) bool {
	for _, w := range p.words {
		if sk[w.index]&w.mask != w.mask {
			return false
		}
	}
	return true
}
