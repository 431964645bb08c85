# The node image used by docker-compose.yml: built from this repository with Maven.
FROM maven:3.9-eclipse-temurin-17 AS build
# The web UI is built by the system npm during the Maven build (ui/, decision 0049).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN mvn -B -q -ntp -DskipTests install

FROM eclipse-temurin:17-jre
WORKDIR /opt/lims
COPY --from=build /src/http-api/target/http-api-0.1.0-SNAPSHOT.jar /opt/lims/
COPY --from=build /src/http-api/target/lib /opt/lims/lib
EXPOSE 8080 25520 8558
ENTRYPOINT ["java", "-cp", "/opt/lims/http-api-0.1.0-SNAPSHOT.jar:/opt/lims/lib/*", "lims.http.Main"]
CMD ["cluster"]
