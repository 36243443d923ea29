import NN

// The models' stored layers are all `let` properties (see `FixedStructure`).
extension MLPDiffusion: FixedStructure {}
extension SimpleUnet: FixedStructure {}
extension SimpleUnet.Block: FixedStructure {}
extension SimpleUnet.SinusoidalPositionEmbeddings: FixedStructure {}
extension UNet: FixedStructure {}
extension UNet.ResidualBlock: FixedStructure {}
extension UNet.AttentionBlock: FixedStructure {}
extension UNet.Downsample: FixedStructure {}
extension UNet.Upsample: FixedStructure {}
extension UNet.PositionalEmbedding: FixedStructure {}
extension ImageClassifier: FixedStructure {}
