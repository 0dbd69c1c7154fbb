// `Datasets`: readers (IDX, the classic `mnist.pkl.gz`, scikit-learn CSV), the data model the
// suites use (`ImageSet`, `TabularSet`, `SiteOrder`, `Splits`, `BatchSchedule`, `Synthetic`),
// and provisioning with verified checksums (`DataDirectory`, `Provisioner`, `KnownData`).
// Depends only on TensorCore and the system zlib. See DATASETS.md for the sources.
