//! `INMSLayer`: non-maximum suppression per batch item and class.

use trt::{BoundingBoxFormat, DataType, Nms};

use super::{f32s, tensor, Ctx};
use crate::error::{invalid, LayerResult};
use crate::value::Value;

/// A box as `(x_min, y_min, x_max, y_max)`: "kCORNER_PAIRS: (x1, y1, x2, y2) where (x1, y1) and (x2, y2) are any
/// pair of diagonal corners"; "kCENTER_SIZES: (x_center, y_center, width, height)".
fn corners(b: &[f32], format: BoundingBoxFormat) -> [f64; 4] {
    let b: Vec<f64> = b.iter().map(|&v| v as f64).collect();
    match format {
        BoundingBoxFormat::CornerPairs => [
            b[0].min(b[2]),
            b[1].min(b[3]),
            b[0].max(b[2]),
            b[1].max(b[3]),
        ],
        BoundingBoxFormat::CenterSizes => [
            b[0] - b[2] / 2.0,
            b[1] - b[3] / 2.0,
            b[0] + b[2] / 2.0,
            b[1] + b[3] / 2.0,
        ],
    }
}

/// Intersection over union (0 for boxes without area).
fn iou(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// "The NMS algorithm iterates through a set of bounding boxes and their confidence scores, in decreasing order of
/// score. Boxes are selected if their score is above a given threshold, and their intersection-over-union (IoU)
/// with previously selected boxes is less than or equal to a given threshold. This layer implements NMS per batch
/// item and per class." "Per batch item, boxes are initially sorted by their scores without regard to class. Only
/// boxes up to a maximum of the TopK limit are considered for selection (per batch). During selection, only
/// overlapping boxes of the same class are compared". Outputs: "SelectedIndices … [NumOutputBoxes, 3]. Each row
/// contains a (batchIndex, classIndex, boxIndex) tuple … sorted in order of increasing batchIndex and then in order
/// of decreasing score within each batchIndex" and "NumOutputBoxes … a scalar (0D tensor) of type kINT32". The
/// thresholds default to 0. Equal scores ("unspecified") go in order of box index, then class (an assumption).
pub(crate) fn nms(d: &Nms<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Vec<Value>> {
    let (boxes, scores) = (ctx.get(d.boxes)?, ctx.get(d.scores)?);
    let (bd, sd) = (boxes.dims().to_vec(), scores.dims().to_vec());
    let &[batch, n, classes] = sd.as_slice() else {
        return invalid!("scores of dims {sd:?} ([batch, boxes, classes] expected)");
    };
    let per_class = match bd.as_slice() {
        [b, m, 4] if *b == batch && *m == n => false,
        [b, m, c, 4] if *b == batch && *m == n && *c == classes => true,
        _ => return invalid!("boxes of dims {bd:?} for scores of dims {sd:?}"),
    };
    let scalar = |v: &Value| -> LayerResult<f64> {
        match f32s(&v.to_f32()?)?.as_slice() {
            [x] => Ok(*x as f64),
            other => invalid!("{} values where a scalar is expected", other.len()),
        }
    };
    let max_out = scalar(ctx.get(d.max_output_boxes_per_class)?)?.max(0.0) as usize;
    let iou_thr = ctx
        .opt(d.iou_threshold)?
        .map(scalar)
        .transpose()?
        .unwrap_or(0.0);
    let score_thr = ctx
        .opt(d.score_threshold)?
        .map(scalar)
        .transpose()?
        .unwrap_or(0.0);
    let limit = usize::try_from(d.top_k_box_limit)
        .ok()
        .filter(|&k| k > 0)
        .unwrap_or(usize::MAX);
    let (bv, sv) = (f32s(&boxes.to_f32()?)?, f32s(&scores.to_f32()?)?);
    let mut rows: Vec<i64> = Vec::new();
    for b in 0..batch {
        let mut cand: Vec<(f64, usize, usize)> = (0..n)
            .flat_map(|i| (0..classes).map(move |c| (i, c)))
            .map(|(i, c)| (sv[(b * n + i) * classes + c] as f64, i, c))
            .collect();
        cand.sort_by(|x, y| {
            y.0.partial_cmp(&x.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(x.1.cmp(&y.1))
                .then(x.2.cmp(&y.2))
        });
        cand.truncate(limit);
        let mut kept: Vec<Vec<[f64; 4]>> = vec![Vec::new(); classes];
        for (score, i, c) in cand {
            if score <= score_thr || kept[c].len() >= max_out {
                continue;
            }
            let off = if per_class {
                ((b * n + i) * classes + c) * 4
            } else {
                (b * n + i) * 4
            };
            let bx = corners(&bv[off..off + 4], d.bounding_box_format);
            if kept[c].iter().all(|k| iou(k, &bx) <= iou_thr) {
                kept[c].push(bx);
                rows.extend([b as i64, c as i64, i as i64]);
            }
        }
    }
    let count = rows.len() / 3;
    if !matches!(d.indices_type, DataType::Int32 | DataType::Int64) {
        return invalid!("indices of type {:?}", d.indices_type);
    }
    let selected = Value::from_i64(tensor(rows, &[count, 3])?).cast(d.indices_type)?;
    let number = Value::from_i64(tensor(vec![count as i64], &[])?).cast(DataType::Int32)?;
    Ok(vec![selected, number])
}
