//! A handle on one plot: chunk iterators, partitions for parallel reading,
//! whole columns.

use crate::chunks::{Chunk, Chunks};
use crate::error::RawError;
use crate::open::{PlotInfo, RawFile};
use std::ops::Range;
use waveform::{Column, Encoding, Plot, PlotHeader, Steps};

/// A handle on one plot of an open file. It owns a share of the file, so it
/// is `'static`: it can move to another thread or live in a pool job.
#[derive(Debug, Clone)]
pub struct PlotRef {
    pub(crate) file: RawFile,
    pub(crate) index: usize,
}

/// What a chunk iterator reads (see [`PlotRef::chunks_with`]).
#[derive(Debug, Clone, Default)]
pub struct ChunkOptions {
    /// Points per chunk at most (0: as many as the reader's window holds).
    pub points: usize,
    /// Only these variables are decoded (the other columns stay empty); `None`: all.
    pub vars: Option<Vec<usize>>,
    /// Only these points; `None`: every complete point.
    pub range: Option<Range<u64>>,
    /// Never let a chunk cross a step boundary ([`Chunk::step`] says which step).
    pub split_steps: bool,
}

impl PlotRef {
    pub(crate) fn new(file: RawFile, index: usize) -> PlotRef {
        PlotRef { file, index }
    }

    /// The file the plot belongs to.
    pub fn file(&self) -> &RawFile {
        &self.file
    }

    /// The plot's index in its file.
    pub fn index(&self) -> usize {
        self.index
    }

    /// What the reader knows about the plot.
    pub fn info(&self) -> &PlotInfo {
        &self.file.inner.plots[self.index]
    }

    /// The plot's header.
    pub fn header(&self) -> &PlotHeader {
        &self.info().header
    }

    /// Index of the variable called `name`, or an error listing the names there are.
    pub fn var_index(&self, name: &str) -> Result<usize, RawError> {
        let header = self.header();
        header.find(name).ok_or_else(|| {
            let names: Vec<&str> = header
                .variables
                .iter()
                .take(12)
                .map(|v| v.name.as_str())
                .collect();
            let more = if header.variables.len() > 12 {
                ", ..."
            } else {
                ""
            };
            RawError::NoSuchVariable {
                path: self.file.inner.path.clone(),
                plot: self.index,
                name: name.to_string(),
                available: format!("{}{more}", names.join(", ")),
            }
        })
    }

    /// Iterates over the plot in chunks of at most `points` points, every variable.
    pub fn chunks(&self, points: usize) -> Chunks {
        self.chunks_of(points, None)
    }

    /// Iterates over the plot in chunks, decoding only the variables in `vars`
    /// (the other columns of each chunk stay empty). `None` means all.
    pub fn chunks_of(&self, points: usize, vars: Option<Vec<usize>>) -> Chunks {
        self.chunks_in(0..self.info().complete_points, points, vars)
    }

    /// Iterates over the points `range` only. Disjoint ranges can be read
    /// from several threads at once (see [`PlotRef::partitions`]); an ASCII
    /// plot starts parsing at the checkpoint nearest before `range.start`.
    pub fn chunks_in(&self, range: Range<u64>, points: usize, vars: Option<Vec<usize>>) -> Chunks {
        Chunks::new(self.file.clone(), self.index, range, points, vars, None)
    }

    /// The general chunk iterator: a range, a variable selection, and chunks
    /// that stop at step boundaries when asked (which needs the step index,
    /// hence the `Result`).
    pub fn chunks_with(&self, opts: &ChunkOptions) -> Result<Chunks, RawError> {
        let range = opts.range.clone().unwrap_or(0..self.info().complete_points);
        let steps = if opts.split_steps {
            Some(self.steps()?.starts.clone())
        } else {
            None
        };
        Ok(Chunks::new(
            self.file.clone(),
            self.index,
            range,
            opts.points,
            opts.vars.clone(),
            steps,
        ))
    }

    /// Splits the plot's complete points into at most `parts` contiguous
    /// ranges that can be read at once by one thread each, with
    /// [`PlotRef::chunks_in`] or [`ChunkOptions::range`]. Binary plots split
    /// evenly; ASCII plots split at the checkpoints found when the file was
    /// opened, so that each range starts parsing at its first point. The
    /// ranges cover every complete point exactly once, in order. A
    /// compressed file ([`crate::RawFile::compression`]) is read forward
    /// only, so it gets one range.
    pub fn partitions(&self, parts: usize) -> Vec<Range<u64>> {
        let info = self.info();
        let points = info.complete_points;
        let parts = match self.file.compression() {
            Some(_) => 1,
            None => parts.max(1) as u64,
        };
        if points == 0 {
            return std::iter::once(0..0).collect();
        }
        let mut cuts: Vec<u64> = match info.encoding {
            Encoding::Binary => (1..parts).map(|k| points * k / parts).collect(),
            Encoding::Ascii => {
                let (start, end) = (info.data_offset, info.data_end);
                let len = end.saturating_sub(start);
                (1..parts)
                    .filter_map(|k| {
                        let target = start + len / parts * k;
                        let i = info.checkpoints.partition_point(|&(off, _)| off < target);
                        info.checkpoints.get(i).map(|&(_, p)| p)
                    })
                    .collect()
            }
        };
        cuts.insert(0, 0);
        cuts.push(points);
        cuts.dedup();
        cuts.windows(2)
            .filter(|w| w[0] < w[1])
            .map(|w| w[0]..w[1])
            .collect()
    }

    /// Reads the partitions of the plot on up to `threads` threads at once:
    /// `work` reads one range into its own accumulator, and the accumulators
    /// come back in range order, to be folded by the caller. `work` also gets
    /// a progress reporter: what it reports while reading the first range
    /// (the one read on the calling thread) reaches `progress`; reports from
    /// the other threads are dropped, so report a shared count (an atomic
    /// counter of all threads' points) to show the whole.
    pub fn read_parallel<A, F>(
        &self,
        threads: usize,
        progress: &mut dyn FnMut(u64),
        work: F,
    ) -> Result<Vec<A>, RawError>
    where
        A: Send,
        F: Fn(Range<u64>, &mut dyn FnMut(u64)) -> Result<A, RawError> + Sync,
    {
        let mut parts = self.partitions(threads).into_iter();
        let Some(first) = parts.next() else {
            return Ok(Vec::new());
        };
        let rest: Vec<Range<u64>> = parts.collect();
        if rest.is_empty() {
            return Ok(vec![work(first, progress)?]);
        }
        std::thread::scope(|sc| {
            let work = &work;
            let handles: Vec<_> = rest
                .into_iter()
                .map(|r| sc.spawn(move || work(r, &mut |_| {})))
                .collect();
            let first = work(first, progress);
            // join every thread before returning: a panicked thread left
            // unjoined would make the scope itself panic
            let joined: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
            let mut out = vec![first?];
            for r in joined {
                match r {
                    Ok(r) => out.push(r?),
                    Err(_) => {
                        return Err(self.file.inner.data_err(
                            self.index,
                            self.info().data_offset,
                            "a reading thread panicked".into(),
                        ))
                    }
                }
            }
            Ok(out)
        })
    }

    /// Reads one whole column into memory (the user asked for it in memory).
    pub fn column(&self, name: &str) -> Result<Column, RawError> {
        let idx = self.var_index(name)?;
        self.column_at(idx)
    }

    /// Reads the column of variable `idx` into memory.
    pub fn column_at(&self, idx: usize) -> Result<Column, RawError> {
        let info = self.info();
        let t = info
            .types
            .get(idx)
            .copied()
            .ok_or_else(|| RawError::NoSuchVariable {
                path: self.file.inner.path.clone(),
                plot: self.index,
                name: format!("#{idx}"),
                available: format!("{} variables", info.types.len()),
            })?;
        let mut out = Column::with_capacity(t, 0);
        let mut it = self.chunks_of(1 << 16, Some(vec![idx]));
        let mut chunk = Chunk::default();
        while it.fill(&mut chunk)? {
            out.extend_from(&chunk.columns[idx]);
        }
        Ok(out)
    }

    /// Reads the whole plot into memory.
    pub fn read(&self) -> Result<Plot, RawError> {
        let info = self.info();
        let mut columns: Vec<Column> = info
            .types
            .iter()
            .map(|&t| Column::with_capacity(t, 0))
            .collect();
        let mut it = self.chunks(1 << 16);
        let mut chunk = Chunk::default();
        while it.fill(&mut chunk)? {
            for (c, part) in columns.iter_mut().zip(&chunk.columns) {
                c.extend_from(part);
            }
        }
        let steps = Steps::clone(&*self.steps()?);
        Ok(Plot {
            header: info.header.clone(),
            columns,
            steps,
        })
    }
}
