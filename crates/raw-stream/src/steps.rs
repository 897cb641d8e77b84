//! The steps of a stepped plot: where each run starts, with the parameters
//! of the companion `.log`. Computed once per plot and kept.

use crate::chunks::Chunk;
use crate::error::RawError;
use crate::open::MAX_STEPS;
use crate::plot::PlotRef;
use std::sync::Arc;
use waveform::{Dialect, Steps, VarKind};

/// Finds step boundaries in a stream of scale values: a new step starts
/// where the scale moves against the sweep's direction (the direction of its
/// first two distinct values). Time and frequency restart lower; a reverse DC
/// sweep restarts higher; a repeated first value is not a boundary.
#[derive(Debug)]
pub(crate) struct StepSplitter {
    prev: Option<f64>,
    first: Option<f64>,
    /// +1 rising, -1 falling, 0 not known yet.
    dir: i8,
    /// Point index where each step starts; the first is 0.
    pub starts: Vec<u64>,
}

impl StepSplitter {
    pub fn new() -> StepSplitter {
        StepSplitter {
            prev: None,
            first: None,
            dir: 0,
            starts: vec![0],
        }
    }

    /// Feeds the scale value of point `p`; false when there are too many steps.
    pub fn push(&mut self, p: u64, v: f64) -> bool {
        if let Some(q) = self.prev {
            if self.dir == 0 {
                if let Some(f) = self.first {
                    if v > f {
                        self.dir = 1;
                    } else if v < f {
                        self.dir = -1;
                    }
                }
            } else if (self.dir > 0 && v < q) || (self.dir < 0 && v > q) {
                if self.starts.len() >= MAX_STEPS {
                    return false;
                }
                self.starts.push(p);
            }
        } else {
            self.first = Some(v);
        }
        self.prev = Some(v);
        true
    }
}

impl PlotRef {
    /// The steps of the plot: one for a plot that is not stepped; for a
    /// stepped LTspice plot, split where the scale moves against the sweep's
    /// direction, with the parameters of the companion `.log` when present.
    /// Computed on first use (it reads the scale column) and kept.
    pub fn steps(&self) -> Result<Arc<Steps>, RawError> {
        let cell = &self.file.inner.steps[self.index];
        if let Some(s) = cell.get() {
            return Ok(Arc::clone(s));
        }
        let steps = Arc::new(self.compute_steps()?);
        // Another thread may have won the race: either value is the same.
        let _ = cell.set(Arc::clone(&steps));
        Ok(steps)
    }

    /// The name of the stepped parameter when this is a QSPICE stepped
    /// `.op`: variable 0 of type `parameter`.
    fn qspice_parameter(&self) -> Option<String> {
        let v0 = self.info().header.variables.first()?;
        (self.file.inner.dialect == Dialect::Qspice && v0.kind == VarKind::Parameter)
            .then(|| v0.name.clone())
    }

    fn compute_steps(&self) -> Result<Steps, RawError> {
        let info = self.info();
        let inner = &self.file.inner;
        let total = info.complete_points;
        let too_many = || {
            inner.data_err(
                info.index,
                info.data_offset,
                format!("more than {MAX_STEPS} steps: not a stepped run"),
            )
        };
        if let Some(param) = self.qspice_parameter() {
            // QSPICE stepped .op: no `stepped` flag, one point per step,
            // variable 0 holds the stepped value
            if total > MAX_STEPS as u64 {
                return Err(too_many());
            }
            let values = self.chunks_of(1 << 16, Some(vec![0])).try_fold(
                Vec::with_capacity(total as usize),
                |mut acc, chunk| {
                    let chunk = chunk?;
                    let col = &chunk.columns[0];
                    acc.extend((0..col.len()).map(|i| col.get_f64(i).unwrap_or(f64::NAN)));
                    Ok::<_, RawError>(acc)
                },
            )?;
            let mut starts: Vec<u64> = (0..total).collect();
            if starts.is_empty() {
                starts.push(0);
            }
            return Ok(Steps {
                starts,
                total,
                params: values
                    .into_iter()
                    .map(|v| vec![(param.clone(), v)])
                    .collect(),
            });
        }
        if !info.header.flags.stepped {
            return Ok(Steps::single(total));
        }
        let starts = if !info.header.has_scale() {
            // stepped .op / .tf: one point per step
            if total > MAX_STEPS as u64 {
                return Err(too_many());
            }
            let mut s: Vec<u64> = (0..total).collect();
            if s.is_empty() {
                s.push(0);
            }
            s
        } else {
            let mut it = self.chunks_of(1 << 16, Some(vec![0]));
            let mut chunk = Chunk::default();
            let mut split = StepSplitter::new();
            while it.fill(&mut chunk)? {
                let col = &chunk.columns[0];
                for i in 0..col.len() {
                    let v = col.get_f64(i).unwrap_or(f64::NAN);
                    if !split.push(chunk.start + i as u64, v) {
                        return Err(too_many());
                    }
                }
            }
            split.starts
        };
        let mut steps = Steps {
            starts,
            total,
            params: Vec::new(),
        };
        if inner.options.read_log && inner.on_disk {
            if let Some(params) = crate::log::step_params(&inner.path) {
                if params.len() == steps.count() {
                    steps.params = params;
                } else {
                    tracing::warn!(
                        "{}: the .log lists {} steps but the data split into {}; step parameters left out",
                        inner.path.display(),
                        params.len(),
                        steps.count()
                    );
                }
            }
        }
        Ok(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(values: &[f64]) -> Vec<u64> {
        let mut s = StepSplitter::new();
        for (p, &v) in values.iter().enumerate() {
            assert!(s.push(p as u64, v));
        }
        s.starts
    }

    #[test]
    fn rising_scale_restarts_lower() {
        assert_eq!(
            split(&[0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0, 1.5]),
            vec![0, 3, 6]
        );
    }

    #[test]
    fn reverse_sweep_restarts_higher() {
        assert_eq!(split(&[5.0, 4.0, 3.0, 5.0, 4.0, 3.0]), vec![0, 3]);
    }

    #[test]
    fn repeated_first_value_is_not_a_boundary() {
        // LTspice IV stepped DC repeats the first sweep value
        assert_eq!(split(&[0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 1.0, 2.0]), vec![0, 4]);
    }

    #[test]
    fn flat_scale_is_one_step() {
        assert_eq!(split(&[1.0, 1.0, 1.0]), vec![0]);
        assert_eq!(split(&[]), vec![0]);
    }

    #[test]
    fn equal_restart_value_keeps_the_direction() {
        // time 0,1,2 then 2 again (a repeated point) is not a restart; 0 is
        assert_eq!(split(&[0.0, 1.0, 2.0, 2.0, 0.0, 1.0]), vec![0, 4]);
    }
}
