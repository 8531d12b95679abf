//! The architectures, one module per family, each reading like its PyTorch original.
//!
//! Every model is built from a [`candle_nn::VarBuilder`] whose names are the PyTorch
//! `state_dict` keys (`layer1.0.conv1.weight`, `features.3.conv.1.0.weight`,
//! `_blocks.3._depthwise_conv.weight`, `encoder.layer.0.attention.self.query.weight`, …), so a
//! checkpoint opened with `torch_weights` loads as is. Batch normalization runs in evaluation
//! mode (running statistics); dropout and stochastic depth are the identity, as in
//! `model.eval()`.

pub mod bert;
pub mod convnext;
pub mod efficientnet;
pub mod efficientnet_lite;
pub mod imagenet;
pub mod mobilenet_v2;
pub mod resnet;
pub mod sentence_transformers;
pub mod simple_cnn;
pub mod squeezenet;
pub mod torchvision;
pub mod vgg;
pub mod vit;
