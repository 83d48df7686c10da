"""The Docker backend: one container per worker from the project's image (`treefix sandbox
build`), no network, capped memory/pids/tmpfs. Needs `treefix[docker]` and an engine."""

from __future__ import annotations

from treefix.sandbox import docker_engine
from treefix.sandbox.docker import DockerLimits, DockerSandbox
from treefix.sandbox.image import image_tag
from treefix.sandbox.settings import KIB, MIB, limits_from


class DockerBackend:
    python = "python3"  # the image's interpreter
    auto_rank = 10  # `auto` prefers it when an engine answers and the image is built
    remedy = "install/start Docker or use --sandbox local"
    FIELDS = {
        "sandbox_memory_mb": ("memory", lambda v: f"{v}m"),
        "sandbox_pids": ("pids", int),
        "sandbox_file_mb": ("file_bytes", lambda v: v * MIB),
        "sandbox_output_kb": ("output_bytes", lambda v: v * KIB),
        "sandbox_tmp_mb": ("tmp_size", lambda v: f"{v}m"),
        "sandbox_cpus": ("cpus", float),
    }

    def probe(self) -> tuple[bool, str]:
        return docker_engine.probe()

    def available(self, project, image) -> tuple[bool, str]:
        """Usable for this project: an engine answers and the image is built."""
        ok, why = self.probe()
        if not ok:
            return False, why
        import docker.errors

        tag = self.image(project, image)
        try:
            docker_engine.client().images.get(tag)
        except docker.errors.ImageNotFound:
            return (
                False,
                f"Docker answers but {tag} is not built: `treefix sandbox build {project.root}`",
            )
        return True, ""

    def image(self, project, image) -> str | None:
        return image or image_tag(project.root)

    def limits(self, options):
        return limits_from(options, DockerLimits(), self.FIELDS)

    def create(self, project, n: int, run_id: str, image, limits) -> list:
        dc = docker_engine.client()
        docker_engine.sweep(dc)
        boxes: list = []
        try:
            for i in range(n):
                boxes.append(
                    DockerSandbox(
                        project,
                        image=image or "",
                        run_id=run_id,
                        client=dc,
                        label=f"w{i}",
                        limits=limits,
                    )
                )
        except BaseException:
            for b in boxes:
                b.close()
            raise
        return boxes

    def doctor(self) -> list[tuple[str, bool, str]]:
        return [("sandbox docker", *self.probe())]


BACKEND = DockerBackend()
