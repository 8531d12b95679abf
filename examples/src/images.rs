//! Photographs as classifier inputs: decode, resize, crop, normalize.

use std::path::Path;

use anyhow::Context;
use candle2trt_models::models::imagenet;
use candle_core::{Device, Tensor};
use image::imageops::FilterType;

/// Reads an image file (PNG, JPEG) as the input of an ImageNet classifier trained at `size`:
/// `(3, size, size)` f32, see [`preprocess`].
pub fn load_image(path: impl AsRef<Path>, size: usize) -> anyhow::Result<Tensor> {
    let path = path.as_ref();
    let img = image::ImageReader::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("cannot read {}", path.display()))?
        .decode()
        .with_context(|| format!("cannot decode {}", path.display()))?;
    preprocess(&img, size).with_context(|| format!("preprocessing {}", path.display()))
}

/// The evaluation transform of torchvision and of `efficientnet-lite-pytorch`:
/// `Resize(size)` (the shorter side to `size`, bilinear with antialiasing, as PIL), a centre
/// crop to `size × size` (so that every input has the model's square shape), `ToTensor()`
/// (RGB, `[0, 1]`, channels first) and `Normalize(ImageNet mean, std)`.
pub fn preprocess(img: &image::DynamicImage, size: usize) -> anyhow::Result<Tensor> {
    anyhow::ensure!(size > 0, "the input size must be positive");
    let rgb = img.to_rgb8();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    anyhow::ensure!(w > 0 && h > 0, "the image is empty");
    // Shorter side to `size`, the other one rounded down as torchvision's Resize does.
    let (nw, nh) = if w <= h {
        (size, (size * h / w).max(size))
    } else {
        ((size * w / h).max(size), size)
    };
    let resized = image::imageops::resize(&rgb, nw as u32, nh as u32, FilterType::Triangle);
    let (left, top) = ((nw - size) / 2, (nh - size) / 2);
    let cropped =
        image::imageops::crop_imm(&resized, left as u32, top as u32, size as u32, size as u32)
            .to_image();
    let pixels: Vec<f32> = cropped
        .into_raw()
        .into_iter()
        .map(|p| p as f32 / 255.0)
        .collect();
    let hwc = Tensor::from_vec(pixels, (size, size, 3), &Device::Cpu)?;
    Ok(imagenet::normalize(&hwc.permute((2, 0, 1))?.contiguous()?)?)
}

#[cfg(test)]
mod tests {
    use super::preprocess;

    #[test]
    fn landscape_image_becomes_a_normalized_square() -> anyhow::Result<()> {
        // 40×20, left half black, right half white: the centre crop (20×20 after resizing to
        // 40×20 → unchanged) keeps columns 10..30, half black, half white.
        let img = image::RgbImage::from_fn(40, 20, |x, _| {
            if x < 20 {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([255, 255, 255])
            }
        });
        let x = preprocess(&image::DynamicImage::ImageRgb8(img), 20)?;
        assert_eq!(x.dims(), [3, 20, 20]);
        let red = x.get(0)?.to_vec2::<f32>()?;
        let black = (0.0 - 0.485) / 0.229;
        let white = (1.0 - 0.485) / 0.229;
        assert!((red[5][0] - black).abs() < 1e-5, "{}", red[5][0]);
        assert!((red[5][19] - white).abs() < 1e-5, "{}", red[5][19]);
        Ok(())
    }
}
