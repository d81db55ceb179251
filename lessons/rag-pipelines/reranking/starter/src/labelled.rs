//! Labelled queries for measuring retrieval: each query with the ids of the passages that
//! answer it (judged by hand against src/corpus.rs).

pub struct Labelled {
    pub query: &'static str,
    pub relevant: &'static [u64],
}

#[rustfmt::skip]
pub const LABELLED: &[Labelled] = &[
    Labelled { query: "Which call releases the GIL so Python threads run while Rust works?", relevant: &[1] },
    Labelled { query: "How do I keep a Python object in a Rust struct and send it to another thread?", relevant: &[2] },
    Labelled { query: "How do I turn a Rust struct into a Python class with a constructor?", relevant: &[3] },
    Labelled { query: "What does Python see when my Rust code panics?", relevant: &[4] },
    Labelled { query: "How do I build the extension and install it into my virtualenv?", relevant: &[5] },
    Labelled { query: "How does DSPy turn a signature into a prompt and parse the reply?", relevant: &[6] },
    Labelled { query: "How can the LM reason step by step before it answers?", relevant: &[7] },
    Labelled { query: "How do I set the default LM and override it for one thread?", relevant: &[8] },
    Labelled { query: "How do I measure the average score of a program on a devset?", relevant: &[9, 15] },
    Labelled { query: "How does an optimizer collect demonstrations for a program?", relevant: &[10] },
    Labelled { query: "How do I narrow a vector search to points with a payload field?", relevant: &[11] },
    Labelled { query: "How do I combine keyword search and embeddings in one ranking?", relevant: &[12, 13] },
    Labelled { query: "How do I store the LM program with rusqlite?", relevant: &[16] },
    Labelled { query: "Which model rescores the top candidates of the first retriever?", relevant: &[14] },
];
