//! What the conversion could not carry over exactly: fields without a Seer equivalent,
//! substitutions (an AWS algorithm Seer does not train), renamed resources, references to
//! resources that were not among the inputs. Printed on standard error, grouped by file.

use std::fmt::Write as _;

/// How a field fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoteKind {
    /// No Seer equivalent: the setting is not in the manifests.
    Unsupported,
    /// Carried over as something close but not the same.
    Substituted,
    /// An input that refers to a resource the inputs do not describe.
    Missing,
    /// A name changed to fit Kubernetes' naming rules.
    Renamed,
    /// State of the AWS resource (status, times, ARNs of versions): nothing to declare.
    State,
}

impl NoteKind {
    fn label(self) -> &'static str {
        match self {
            NoteKind::Unsupported => "not supported",
            NoteKind::Substituted => "substituted",
            NoteKind::Missing => "missing input",
            NoteKind::Renamed => "renamed",
            NoteKind::State => "not carried over (AWS resource state)",
        }
    }
}

/// One note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub kind: NoteKind,
    /// The input file.
    pub file: String,
    /// What the file describes, e.g. `forecast describe-auto-predictor`.
    pub subject: String,
    /// Path of the field in the describe output, e.g. `DataConfig.AdditionalDatasets[0]`.
    pub field: String,
    /// Why, and what to do instead.
    pub message: String,
}

/// Every note of one conversion, in the order they were made.
#[derive(Debug, Default)]
pub struct Report {
    notes: Vec<Note>,
}

impl Report {
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    fn push(&mut self, kind: NoteKind, file: &str, subject: &str, field: &str, message: impl Into<String>) {
        self.notes.push(Note {
            kind,
            file: file.to_string(),
            subject: subject.to_string(),
            field: field.to_string(),
            message: message.into(),
        });
    }

    pub fn unsupported(&mut self, file: &str, subject: &str, field: &str, message: impl Into<String>) {
        self.push(NoteKind::Unsupported, file, subject, field, message);
    }

    pub fn substituted(&mut self, file: &str, subject: &str, field: &str, message: impl Into<String>) {
        self.push(NoteKind::Substituted, file, subject, field, message);
    }

    pub fn missing(&mut self, file: &str, subject: &str, field: &str, message: impl Into<String>) {
        self.push(NoteKind::Missing, file, subject, field, message);
    }

    pub fn renamed(&mut self, file: &str, subject: &str, field: &str, message: impl Into<String>) {
        self.push(NoteKind::Renamed, file, subject, field, message);
    }

    /// State fields are listed together, one line per file.
    pub fn state(&mut self, file: &str, subject: &str, field: &str) {
        self.push(NoteKind::State, file, subject, field, String::new());
    }

    /// The notes as lines for standard error: per file, the conversions' notes and then one
    /// line with the state fields left behind.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut files: Vec<(&str, &str)> = Vec::new();
        for n in &self.notes {
            if !files.contains(&(n.file.as_str(), n.subject.as_str())) {
                files.push((n.file.as_str(), n.subject.as_str()));
            }
        }
        for (file, subject) in files {
            let _ = writeln!(out, "{file} ({subject}):");
            let mut notes: Vec<&Note> = self
                .notes
                .iter()
                .filter(|n| n.file == file && n.subject == subject && n.kind != NoteKind::State)
                .collect();
            notes.sort_by_key(|n| n.kind);
            for n in notes {
                let _ = writeln!(out, "  {}: {}: {}", n.kind.label(), n.field, n.message);
            }
            let state: Vec<&str> = self
                .notes
                .iter()
                .filter(|n| n.file == file && n.subject == subject && n.kind == NoteKind::State)
                .map(|n| n.field.as_str())
                .collect();
            if !state.is_empty() {
                let _ = writeln!(out, "  {}: {}", NoteKind::State.label(), state.join(", "));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_per_file_with_state_last() {
        let mut r = Report::default();
        r.state("a.json", "x", "Status");
        r.substituted("a.json", "x", "AlgorithmArn", "Prophet -> AUTO");
        r.unsupported("a.json", "x", "EncryptionConfig", "use bucket encryption");
        r.state("a.json", "x", "CreationTime");
        r.missing("b.json", "y", "datasetGroupArn", "not given");
        assert_eq!(
            r.render(),
            "a.json (x):\n  not supported: EncryptionConfig: use bucket encryption\n  substituted: AlgorithmArn: Prophet -> AUTO\n  not carried over (AWS resource state): Status, CreationTime\nb.json (y):\n  missing input: datasetGroupArn: not given\n"
        );
    }
}
