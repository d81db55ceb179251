//! A deterministic offline embedder: a hashed bag of words. No model, no network, the
//! same vector for the same text on every machine: good for tests, blind to meaning
//! (it matches words, not synonyms). A real embedder is one setting away: pass a
//! `dspy.Embedder` to the store.

/// Length of every vector this embedder makes.
pub const DIMS: usize = 256;

/// Words too common to say anything about a passage.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "by", "can", "do", "does", "for", "how", "i", "in", "into",
    "is", "it", "its", "of", "on", "or", "so", "such", "that", "the", "to", "what", "which",
    "while", "with",
];

/// Lower-case words of `text`, without punctuation and stop words.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .collect()
}

/// FNV-1a: a hash that is stable across runs, platforms and Rust versions
/// (std's `DefaultHasher` promises none of that).
fn fnv1a(word: &str) -> u64 {
    word.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The unit-length vector of `text`: each word adds ±1 to one of `DIMS` buckets.
pub fn embed(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; DIMS];
    for word in tokens(text) {
        let h = fnv1a(&word);
        let bucket = (h % DIMS as u64) as usize;
        v[bucket] += if h >> 63 == 0 { 1.0 } else { -1.0 };
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}
